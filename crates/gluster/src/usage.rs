//! `volume status VOL detail` (and `volume status all detail`): what each brick's filesystem
//! holds. GlusterFS 10.3 reports sizes and inodes per brick; 3.x releases omit the inodes.
//! A brick whose process is offline is still reported, with whatever figures glusterd read.

use crate::parse::{child, children, int, req_text, status_volumes, text, uuid};
use crate::{DriverError, ParseError};
use domain::BrickUsage;
use roxmltree::Node;

/// The bricks of one volume in a `volume status … detail` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeUsage {
    /// Volume name.
    pub volume: String,
    /// One entry per brick, in gluster's order.
    pub bricks: Vec<BrickUsage>,
}

/// Parses `volume status VOL detail` or `volume status all detail`.
pub fn volume_usage(xml: &str) -> Result<Vec<VolumeUsage>, DriverError> {
    status_volumes(xml, |v| {
        Ok(VolumeUsage {
            volume: req_text(v, "volName")?.trim().to_owned(),
            bricks: children(v, "node")
                .filter(|n| child(*n, "path").is_some())
                .map(brick)
                .collect::<Result<_, _>>()?,
        })
    })
}

fn brick(n: Node<'_, '_>) -> Result<BrickUsage, ParseError> {
    let host = req_text(n, "hostname")?.trim();
    let path = req_text(n, "path")?.trim();
    Ok(BrickUsage {
        brick: format!("{host}:{path}"),
        peer_id: uuid(n, "peerid")?,
        online: int(n, "status")? == 1,
        size_total: figure(n, "sizeTotal")?.unwrap_or(0),
        size_free: figure(n, "sizeFree")?.unwrap_or(0),
        inodes_total: figure(n, "inodesTotal")?,
        inodes_free: figure(n, "inodesFree")?,
        device: word(n, "device"),
        fs_name: word(n, "fsName"),
        block_size: figure(n, "blockSize")?,
    })
}

/// A count that gluster may leave out or print as `N/A`: `None` then; anything else must be
/// a non-negative integer.
fn figure(n: Node<'_, '_>, name: &'static str) -> Result<Option<i64>, ParseError> {
    match text(n, name).map(str::trim) {
        None | Some("") | Some("N/A") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or_else(|| ParseError::BadValue {
                element: name,
                value: s.to_owned(),
                expected: "a non-negative integer",
            }),
    }
}

/// A word gluster may leave out or print as `N/A`.
fn word(n: Node<'_, '_>, name: &str) -> Option<String> {
    text(n, name)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "N/A")
        .map(str::to_owned)
}
