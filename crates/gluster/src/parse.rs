//! Parsers for `gluster --xml` output (10.3, tolerant of the 3.x shapes).
//!
//! Quirks handled here: the answering node calls itself `localhost` (nodes are keyed by UUID);
//! `nodeCount` is not the number of `<node>` elements (it is ignored); failures come as
//! `opRet -1` with the message in `opErrstr`, or in `<output>` when `opErrstr` is empty or
//! `(null)`; older releases omit `statusStr` and the aggregate status; volume `type` numbers
//! shifted between releases, so `typeStr` is used.

use crate::{
    BrickInfo, DriverError, GlusterTask, HealBrick, HealInfo, ParseError, TaskReport, VolumeInfo,
    VolumeTasks,
};
use domain::{
    aggregate_status, NodeProgress, Peer, TaskKind, TaskStatus, VolumeLayout, VolumeStatus,
    VolumeType,
};
use roxmltree::{Document, Node};
use uuid::Uuid;

/// Parses the `<cliOutput>` envelope and hands its root to `f` when `opRet` is 0.
/// A refusal (`opRet` ≠ 0) becomes [`DriverError::Gluster`] with gluster's message.
pub fn envelope<T>(
    xml: &str,
    f: impl FnOnce(Node<'_, '_>) -> Result<T, ParseError>,
) -> Result<T, DriverError> {
    let doc = Document::parse(xml).map_err(|e| ParseError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "cliOutput" {
        return Err(ParseError::UnexpectedRoot(root.tag_name().name().to_owned()).into());
    }
    let op_ret = int(root, "opRet")?;
    if op_ret != 0 {
        let errno = opt_int(root, "opErrno")?.unwrap_or(0);
        return Err(DriverError::Gluster {
            errno,
            message: error_message(root),
        });
    }
    Ok(f(root)?)
}

/// Gluster's error text: `opErrstr`, else `<output>`, else a generic sentence.
fn error_message(root: Node<'_, '_>) -> String {
    let usable = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty() && *s != "(null)")
            .map(str::to_owned)
    };
    usable(text(root, "opErrstr"))
        .or_else(|| usable(text(root, "output")))
        .unwrap_or_else(|| "gluster failed without a message".to_owned())
}

/// `pool list` / `peer status`: the peers of the trusted pool (`pool list` includes `localhost`).
pub fn peers(xml: &str) -> Result<Vec<Peer>, DriverError> {
    envelope(xml, |root| {
        let status = child(root, "peerStatus").ok_or(ParseError::Missing("peerStatus"))?;
        children(status, "peer")
            .map(|p| {
                Ok(Peer {
                    id: uuid(p, "uuid")?,
                    hostname: req_text(p, "hostname")?.trim().to_owned(),
                    connected: int(p, "connected")? == 1,
                })
            })
            .collect()
    })
}

/// `volume info [VOL]`: volumes with their bricks.
pub fn volume_info(xml: &str) -> Result<Vec<VolumeInfo>, DriverError> {
    envelope(xml, |root| {
        let info = child(root, "volInfo").ok_or(ParseError::Missing("volInfo"))?;
        let Some(volumes) = child(info, "volumes") else {
            return Ok(Vec::new());
        };
        children(volumes, "volume").map(volume).collect()
    })
}

fn volume(v: Node<'_, '_>) -> Result<VolumeInfo, ParseError> {
    let brick_count = int(v, "brickCount")?;
    let bricks = child(v, "bricks")
        .map(|b| {
            children(b, "brick")
                .map(brick)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let count = |name| -> Result<i32, ParseError> {
        Ok(i32::try_from(opt_int(v, name)?.unwrap_or(0)).unwrap_or(0))
    };
    let replica_count = count("replicaCount")?.max(1);
    let disperse_count = count("disperseCount")?;
    // `distCount` changed meaning across releases (bricks per subvolume before 8.0), so the
    // subvolume size comes from the replica or disperse count, which did not.
    let per_subvolume = if disperse_count > 0 {
        i64::from(disperse_count)
    } else {
        i64::from(replica_count)
    };
    Ok(VolumeInfo {
        id: uuid(v, "id")?,
        name: req_text(v, "name")?.trim().to_owned(),
        vol_type: VolumeType::from_gluster(req_text(v, "typeStr")?),
        status: VolumeStatus::from_gluster(req_text(v, "statusStr")?),
        layout: VolumeLayout {
            brick_count: i32::try_from(brick_count).unwrap_or(0),
            distribute_count: i32::try_from(brick_count / per_subvolume).unwrap_or(0),
            replica_count,
            arbiter_count: count("arbiterCount")?,
            disperse_count,
            redundancy_count: count("redundancyCount")?,
        },
        bricks,
    })
}

fn brick(b: Node<'_, '_>) -> Result<BrickInfo, ParseError> {
    // 3.x+ has <name>; the brick's own text (before <name>) is the same string.
    let name = text(b, "name")
        .map(str::to_owned)
        .or_else(|| {
            b.children()
                .find(|n| n.is_text())
                .and_then(|n| n.text())
                .map(str::to_owned)
        })
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or(ParseError::Missing("brick/name"))?;
    let peer_id = text(b, "hostUuid")
        .or_else(|| b.attribute("uuid"))
        .and_then(|s| Uuid::parse_str(s.trim()).ok());
    Ok(BrickInfo {
        name,
        peer_id,
        is_arbiter: opt_int(b, "isArbiter")?.unwrap_or(0) == 1,
    })
}

/// `volume status all tasks` (or `volume status VOL tasks`): every volume with its tasks.
/// Tasks of kinds this service does not handle (e.g. replace-brick in 3.x) are skipped.
pub fn status_tasks(xml: &str) -> Result<Vec<VolumeTasks>, DriverError> {
    status_volumes(xml, |v| {
        let tasks = match child(v, "tasks") {
            Some(t) => children(t, "task")
                .filter_map(|t| task(t).transpose())
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        Ok(VolumeTasks {
            volume: req_text(v, "volName")?.trim().to_owned(),
            tasks,
        })
    })
}

/// The `<volume>`s of a `volume status …` answer (none when gluster lists no volume), each
/// turned into a `T` by `f`.
pub(crate) fn status_volumes<T>(
    xml: &str,
    f: impl Fn(Node<'_, '_>) -> Result<T, ParseError>,
) -> Result<Vec<T>, DriverError> {
    envelope(xml, |root| {
        let status = child(root, "volStatus").ok_or(ParseError::Missing("volStatus"))?;
        let Some(volumes) = child(status, "volumes") else {
            return Ok(Vec::new());
        };
        children(volumes, "volume").map(f).collect()
    })
}

fn task(t: Node<'_, '_>) -> Result<Option<GlusterTask>, ParseError> {
    let Some(kind) = TaskKind::from_gluster_type(req_text(t, "type")?) else {
        return Ok(None);
    };
    let bricks = child(t, "params")
        .map(|p| {
            children(p, "brick")
                .filter_map(|b| b.text().map(|s| s.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(GlusterTask {
        kind,
        id: uuid(t, "id")?,
        status: status_code(t)?,
        bricks,
    }))
}

/// `volume rebalance VOL start…`: the new task's id.
pub fn rebalance_started(xml: &str) -> Result<Option<Uuid>, DriverError> {
    envelope(xml, |root| {
        let reb = child(root, "volRebalance").ok_or(ParseError::Missing("volRebalance"))?;
        opt_uuid(reb, "task-id")
    })
}

/// `volume rebalance VOL status|stop`: per-node progress (element `<volRebalance>`).
pub fn rebalance_report(xml: &str) -> Result<TaskReport, DriverError> {
    envelope(xml, |root| {
        task_report(child(root, "volRebalance").ok_or(ParseError::Missing("volRebalance"))?)
    })
}

/// `volume remove-brick VOL BRICK… status|stop`: per-node progress (element `<volRemoveBrick>`).
pub fn remove_brick_report(xml: &str) -> Result<TaskReport, DriverError> {
    envelope(xml, |root| {
        task_report(child(root, "volRemoveBrick").ok_or(ParseError::Missing("volRemoveBrick"))?)
    })
}

/// `volume remove-brick … start|commit|force`: the task id, when gluster gives one. (gluster
/// fills `opErrstr` even on success: "Remove Brick start successful".)
pub fn remove_brick_done(xml: &str) -> Result<Option<Uuid>, DriverError> {
    envelope(xml, |root| match child(root, "volRemoveBrick") {
        Some(r) => opt_uuid(r, "task-id"),
        None => Ok(None),
    })
}

/// `volume heal VOL info`: entries pending heal per brick (`<healInfo>` precedes `opRet`).
pub fn heal_info(xml: &str) -> Result<HealInfo, DriverError> {
    envelope(xml, |root| {
        let info = child(root, "healInfo").ok_or(ParseError::Missing("healInfo"))?;
        let bricks = child(info, "bricks").ok_or(ParseError::Missing("healInfo/bricks"))?;
        children(bricks, "brick")
            .map(|b| {
                Ok(HealBrick {
                    name: req_text(b, "name")?.trim().to_owned(),
                    status: text(b, "status").unwrap_or("").trim().to_owned(),
                    entries: text(b, "numberOfEntries").and_then(|s| s.trim().parse().ok()),
                })
            })
            .collect::<Result<Vec<_>, ParseError>>()
            .map(|bricks| HealInfo { bricks })
    })
}

fn task_report(r: Node<'_, '_>) -> Result<TaskReport, ParseError> {
    let nodes = children(r, "node")
        .map(node_progress)
        .collect::<Result<Vec<_>, _>>()?;
    let reported = child(r, "aggregate")
        .filter(|a| child(*a, "status").is_some())
        .map(status_code)
        .transpose()?;
    Ok(TaskReport {
        task_id: opt_uuid(r, "task-id")?,
        status: reported.unwrap_or_else(|| aggregate_status(&nodes)),
        nodes,
    })
}

fn node_progress(n: Node<'_, '_>) -> Result<NodeProgress, ParseError> {
    Ok(NodeProgress {
        peer_id: uuid(n, "id")?,
        name: req_text(n, "nodeName")?.trim().to_owned(),
        files: int(n, "files")?,
        size_bytes: int(n, "size")?,
        scanned: int(n, "lookups")?,
        failures: int(n, "failures")?,
        skipped: opt_int(n, "skipped")?.unwrap_or(0),
        status: status_code(n)?,
        runtime_secs: opt_float(n, "runtime")?.unwrap_or(0.0),
    })
}

fn status_code(n: Node<'_, '_>) -> Result<TaskStatus, ParseError> {
    let code = int(n, "status")?;
    TaskStatus::from_code(code).ok_or(ParseError::UnknownStatus(code))
}

// ---- small element helpers -------------------------------------------------------------

pub(crate) fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

pub(crate) fn children<'a, 'i: 'a>(
    n: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| c.has_tag_name(name))
}

pub(crate) fn text<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(n, name).map(|c| c.text().unwrap_or(""))
}

pub(crate) fn req_text<'a>(n: Node<'a, '_>, name: &'static str) -> Result<&'a str, ParseError> {
    text(n, name).ok_or(ParseError::Missing(name))
}

pub(crate) fn opt_int(n: Node<'_, '_>, name: &'static str) -> Result<Option<i64>, ParseError> {
    text(n, name)
        .map(|s| {
            s.trim().parse::<i64>().map_err(|_| ParseError::BadValue {
                element: name,
                value: s.to_owned(),
                expected: "an integer",
            })
        })
        .transpose()
}

pub(crate) fn int(n: Node<'_, '_>, name: &'static str) -> Result<i64, ParseError> {
    opt_int(n, name)?.ok_or(ParseError::Missing(name))
}

fn opt_float(n: Node<'_, '_>, name: &'static str) -> Result<Option<f64>, ParseError> {
    text(n, name)
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| ParseError::BadValue {
                    element: name,
                    value: s.to_owned(),
                    expected: "a number",
                })
        })
        .transpose()
}

fn opt_uuid(n: Node<'_, '_>, name: &'static str) -> Result<Option<Uuid>, ParseError> {
    match text(n, name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| ParseError::BadValue {
                element: name,
                value: s.to_owned(),
                expected: "a UUID",
            }),
    }
}

pub(crate) fn uuid(n: Node<'_, '_>, name: &'static str) -> Result<Uuid, ParseError> {
    opt_uuid(n, name)?.ok_or(ParseError::Missing(name))
}
