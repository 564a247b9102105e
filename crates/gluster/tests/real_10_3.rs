//! The parsers on outputs captured from a real GlusterFS 10.3 pool (3 nodes, see
//! fixtures/gluster-10.3/MANIFEST.md for each file's command, node and exit code). The captures
//! of one run agree with each other: node ids in task reports are the peers of `pool list`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::{TaskKind, TaskStatus, VolumeStatus, VolumeType};
use gluster::{parse, DriverError, TaskReport};
use std::collections::BTreeSet;
use uuid::Uuid;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/gluster-10.3/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn refusal<T: std::fmt::Debug>(r: Result<T, DriverError>) -> (i64, String) {
    match r {
        Err(DriverError::Gluster { errno, message }) => (errno, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn peer_ids() -> BTreeSet<Uuid> {
    parse::peers(&fixture("pool-list.xml"))
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

/// gluster's own `<aggregate>` counters, read independently of the parser under test.
fn aggregate_files(xml: &str) -> i64 {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let agg = doc
        .descendants()
        .find(|n| n.has_tag_name("aggregate"))
        .unwrap();
    agg.children()
        .find(|n| n.has_tag_name("files"))
        .unwrap()
        .text()
        .unwrap()
        .parse()
        .unwrap()
}

fn report(name: &str) -> (TaskReport, String) {
    let xml = fixture(name);
    (
        parse::rebalance_report(&xml).unwrap_or_else(|e| panic!("{name}: {e}")),
        xml,
    )
}

#[test]
fn pool_list_names_the_answering_node_localhost_and_peer_status_omits_it() {
    let peers = parse::peers(&fixture("pool-list.xml")).unwrap();
    assert_eq!(peers.len(), 3);
    assert_eq!(
        peers.iter().filter(|p| p.hostname == "localhost").count(),
        1
    );
    assert!(peers.iter().all(|p| p.connected));
    let others = parse::peers(&fixture("peer-status.xml")).unwrap();
    assert_eq!(others.len(), 2);
    assert!(others.iter().all(|p| p.hostname.starts_with("192.0.2.")));
    assert!(others.iter().all(|p| peer_ids().contains(&p.id)));
}

#[test]
fn volume_info_of_every_testbed_volume() {
    let vols = parse::volume_info(&fixture("volume-info-all.xml")).unwrap();
    let by = |n: &str| {
        vols.iter()
            .find(|v| v.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let dist = by("dist");
    assert_eq!(
        (dist.vol_type, dist.status),
        (VolumeType::Distribute, VolumeStatus::Started)
    );
    assert_eq!(
        (
            dist.layout.brick_count,
            dist.layout.distribute_count,
            dist.layout.replica_count
        ),
        (4, 4, 1)
    );
    let dr = by("distrep");
    assert_eq!(dr.vol_type, VolumeType::DistributedReplicate);
    assert_eq!(
        (
            dr.layout.brick_count,
            dr.layout.distribute_count,
            dr.layout.replica_count
        ),
        (6, 2, 3)
    );
    assert_eq!(by("single").layout.distribute_count, 1);
    assert_eq!(by("stopped").status, VolumeStatus::Created);
    for v in &vols {
        assert_eq!(v.bricks.len() as i32, v.layout.brick_count, "{}", v.name);
        assert!(v
            .bricks
            .iter()
            .all(|b| b.name.starts_with("192.0.2.1") && b.name.contains(":/")));
        assert!(v
            .bricks
            .iter()
            .all(|b| b.peer_id.is_some_and(|p| peer_ids().contains(&p))));
    }
    let one = parse::volume_info(&fixture("volume-info-dist.xml")).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, dist.id);
    assert_eq!(
        refusal(parse::volume_info(&fixture("volume-info-nosuchvol.xml"))),
        (30806, "Volume does not exist".into())
    );
}

#[test]
fn status_all_tasks_lists_started_volumes_with_their_tasks() {
    let idle = parse::status_tasks(&fixture("volume-status-all-tasks-idle.xml")).unwrap();
    let names: Vec<_> = idle.iter().map(|v| v.volume.as_str()).collect();
    assert_eq!(
        names,
        ["dist", "distrep", "single"],
        "a volume that is not started is not listed"
    );
    assert!(idle.iter().all(|v| v.tasks.is_empty()));

    let running = parse::status_tasks(&fixture(
        "volume-status-all-tasks-rebalance-in-progress.xml",
    ))
    .unwrap();
    let t = &running.iter().find(|v| v.volume == "dist").unwrap().tasks[0];
    assert_eq!(
        (t.kind, t.status),
        (TaskKind::Rebalance, TaskStatus::InProgress)
    );
    let (status, _) = report("rebalance-status-in-progress.xml");
    assert_eq!(Some(t.id), status.task_id, "the same task in both captures");

    let done =
        parse::status_tasks(&fixture("volume-status-all-tasks-rebalance-completed.xml")).unwrap();
    assert_eq!(
        done.iter().find(|v| v.volume == "dist").unwrap().tasks[0].status,
        TaskStatus::Completed
    );

    let stopped =
        parse::status_tasks(&fixture("volume-status-all-tasks-rebalance-stopped.xml")).unwrap();
    assert!(
        stopped.iter().all(|v| v.tasks.is_empty()),
        "a stopped task disappears"
    );

    let rb = parse::status_tasks(&fixture(
        "volume-status-all-tasks-remove-brick-in-progress.xml",
    ))
    .unwrap();
    let t = &rb.iter().find(|v| v.volume == "dist").unwrap().tasks[0];
    assert_eq!(
        (t.kind, t.status),
        (TaskKind::RemoveBrick, TaskStatus::InProgress)
    );
    assert!(!t.bricks.is_empty() && t.bricks.iter().all(|b| b.contains(":/")));

    let one = parse::status_tasks(&fixture("volume-status-dist-tasks-idle.xml")).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        refusal(parse::status_tasks(&fixture(
            "volume-status-stopped-tasks.xml"
        )))
        .1,
        "Volume stopped is not started"
    );
    assert_eq!(
        refusal(parse::status_tasks(&fixture(
            "volume-status-nosuchvol-tasks.xml"
        )))
        .1,
        "Volume nosuchvol does not exist"
    );
}

#[test]
fn rebalance_start_forms_return_the_task_id() {
    for f in [
        "rebalance-start.xml",
        "rebalance-start-force.xml",
        "rebalance-fix-layout-start.xml",
    ] {
        assert!(
            parse::rebalance_started(&fixture(f)).unwrap().is_some(),
            "{f}"
        );
    }
}

#[test]
fn every_rebalance_refusal_shape() {
    let cases = [
        ("rebalance-start-already-running.xml", "Rebalance on dist is already started"),
        ("rebalance-start-force-already-running.xml", "Rebalance on dist is already started"),
        ("rebalance-fix-layout-start-while-running.xml", "Rebalance on dist is already started"),
        ("rebalance-start-single.xml", "Volume single is not a distribute volume or contains only 1 brick.\nNot performing rebalance"),
        ("rebalance-start-stopped.xml", "Volume stopped needs to be started to perform rebalance"),
        ("rebalance-start-nosuchvol.xml", "Volume nosuchvol does not exist"),
        ("rebalance-start-remove-brick-uncommitted.xml", "A remove-brick task on volume dist is not yet committed. Either commit or stop the remove-brick task."),
    ];
    for (f, want) in cases {
        assert_eq!(
            refusal(parse::rebalance_started(&fixture(f))),
            (30800, want.to_owned()),
            "{f}"
        );
    }
    // status and stop refusals also carry <cliOp>/<output>; the message is the same.
    for f in [
        "rebalance-status-never-started.xml",
        "rebalance-stop-not-running.xml",
        "rebalance-status-stopped.xml",
        "rebalance-stop-after-stopped.xml",
        "rebalance-status-during-remove-brick.xml",
    ] {
        assert_eq!(
            refusal(parse::rebalance_report(&fixture(f))).1,
            "Rebalance not started for volume dist.",
            "{f}"
        );
    }
    assert_eq!(
        refusal(parse::rebalance_report(&fixture(
            "rebalance-status-nosuchvol.xml"
        )))
        .1,
        "Volume nosuchvol does not exist"
    );
}

#[test]
fn rebalance_in_progress_on_three_nodes_keyed_by_uuid() {
    let (r, xml) = report("rebalance-status-in-progress.xml");
    assert_eq!(r.status, TaskStatus::InProgress);
    assert_eq!(r.nodes.len(), 3);
    assert_eq!(r.nodes.iter().filter(|n| n.name == "localhost").count(), 1);
    let ids: BTreeSet<Uuid> = r.nodes.iter().map(|n| n.peer_id).collect();
    assert_eq!(ids, peer_ids());
    assert_eq!(
        r.nodes.iter().map(|n| n.files).sum::<i64>(),
        aggregate_files(&xml)
    );
    // The same task seen from another node: localhost is another peer, ids are the same.
    let (other, _) = report("rebalance-status-in-progress-n2.xml");
    assert_eq!(
        other
            .nodes
            .iter()
            .map(|n| n.peer_id)
            .collect::<BTreeSet<_>>(),
        ids
    );
}

#[test]
fn rebalance_completed_fix_layout_and_stop_replies() {
    let (done, xml) = report("rebalance-status-completed.xml");
    assert_eq!(done.status, TaskStatus::Completed);
    assert!(done.nodes.iter().all(|n| n.status == TaskStatus::Completed));
    assert_eq!(
        done.nodes.iter().map(|n| n.files).sum::<i64>(),
        aggregate_files(&xml)
    );
    assert!(done
        .nodes
        .iter()
        .any(|n| n.files > 0 && n.size_bytes > 0 && n.runtime_secs >= 0.0));

    let (fl, _) = report("rebalance-status-fix-layout-in-progress.xml");
    assert_eq!(fl.status, TaskStatus::FixLayoutInProgress);
    let (fl, _) = report("rebalance-status-fix-layout-completed.xml");
    assert_eq!(fl.status, TaskStatus::FixLayoutCompleted);
    assert!(
        fl.nodes.iter().all(|n| n.files == 0),
        "fix-layout moves no data"
    );

    let (stop, xml) = report("rebalance-stop.xml");
    assert_eq!(stop.status, TaskStatus::Stopped);
    assert!(stop.nodes.iter().all(|n| n.status == TaskStatus::Stopped));
    assert_eq!(
        stop.nodes.iter().map(|n| n.files).sum::<i64>(),
        aggregate_files(&xml)
    );

    let (late, _) = report("rebalance-stop-after-completed.xml");
    assert_eq!(
        late.status,
        TaskStatus::Completed,
        "stopping a finished task changes nothing"
    );
}

#[test]
fn a_peer_down_leaves_it_out_of_task_reports_and_marks_it_disconnected() {
    let peers = parse::peers(&fixture("pool-list-peer-down.xml")).unwrap();
    assert_eq!(peers.iter().filter(|p| !p.connected).count(), 1);
    let (r, _) = report("rebalance-status-peer-down.xml");
    assert_eq!(r.nodes.len(), 2, "nodeCount says 3, two <node> elements");
    assert!(parse::status_tasks(&fixture("volume-status-all-tasks-peer-down.xml")).is_ok());
}

#[test]
fn remove_brick_status_in_progress_and_completed() {
    let r = parse::remove_brick_report(&fixture("remove-brick-status-in-progress.xml")).unwrap();
    assert!(r.task_id.is_some());
    assert!(r.status.is_running() || r.status.is_completed());
    let r = parse::remove_brick_report(&fixture("remove-brick-status-completed.xml")).unwrap();
    assert_eq!(r.status, TaskStatus::Completed);
}

#[test]
fn glusterd_down_prints_no_xml() {
    for f in [
        "volume-status-all-tasks-glusterd-down.out",
        "pool-list-glusterd-down.out",
        "rebalance-status-glusterd-down.out",
    ] {
        let out = fixture(f);
        assert_eq!(
            out.trim(),
            "Connection failed. Please check if gluster daemon is operational."
        );
        assert!(matches!(
            parse::status_tasks(&out),
            Err(DriverError::Parse(_))
        ));
    }
}

#[test]
fn remove_brick_replies_and_refusals() {
    // gluster fills opErrstr even on success; the task id is what matters.
    for f in [
        "remove-brick-start.xml",
        "remove-brick-distrep-set-start.xml",
        "remove-brick-start-after-stop.xml",
    ] {
        assert!(
            parse::remove_brick_done(&fixture(f)).unwrap().is_some(),
            "{f}"
        );
    }
    for f in [
        "remove-brick-commit.xml",
        "remove-brick-force.xml",
        "remove-brick-replica-reduction.xml",
        "remove-brick-distrep-set-commit.xml",
    ] {
        assert!(parse::remove_brick_done(&fixture(f)).is_ok(), "{f}");
    }
    let refused = [
        ("remove-brick-all-bricks.xml", "Deleting all the bricks of the volume is not allowed"),
        ("remove-brick-distrep-wrong-count.xml", "Remove brick incorrect brick count of 2 for replica 3"),
        ("remove-brick-distrep-not-a-set.xml", "Bricks not from same subvol for replica"),
        ("remove-brick-commit-in-progress.xml", "use 'force' option as migration is in progress"),
        ("remove-brick-start-again.xml", "An earlier remove-brick task exists for volume dist. Either commit it or stop it before starting a new task."),
        ("remove-brick-other-brick-uncommitted.xml", "An earlier remove-brick task exists for volume dist. Either commit it or stop it before starting a new task."),
    ];
    for (f, want) in refused {
        assert_eq!(
            refusal(parse::remove_brick_done(&fixture(f))).1,
            want,
            "{f}"
        );
    }
    let (errno, msg) = refusal(parse::remove_brick_done(&fixture(
        "remove-brick-not-in-volume.xml",
    )));
    assert_eq!(errno, 0);
    assert!(
        msg.starts_with("Incorrect brick ") && msg.ends_with(" for volume dist"),
        "{msg}"
    );
    for f in [
        "remove-brick-status-never-started.xml",
        "remove-brick-status-stopped.xml",
        "remove-brick-status-after-commit.xml",
    ] {
        assert_eq!(
            refusal(parse::remove_brick_report(&fixture(f))).1,
            "remove-brick not started for volume dist.",
            "{f}"
        );
    }
}

#[test]
fn remove_brick_progress_only_on_the_nodes_holding_the_bricks() {
    let r = parse::remove_brick_report(&fixture("remove-brick-status-in-progress.xml")).unwrap();
    assert_eq!(
        r.nodes.len(),
        1,
        "one brick of n1: only n1 migrates (nodeCount still says 3)"
    );
    let stop = parse::remove_brick_report(&fixture("remove-brick-stop.xml")).unwrap();
    assert!(stop.nodes.iter().all(|n| n.status == TaskStatus::Stopped));
    let set = parse::remove_brick_report(&fixture("remove-brick-distrep-set-status-completed.xml"))
        .unwrap();
    assert_eq!(set.status, TaskStatus::Completed);
    assert!(set.nodes.iter().all(|n| n.failures == 0));
}

#[test]
fn heal_info_counts_pending_entries_per_brick() {
    let h = parse::heal_info(&fixture("heal-info-distrep.xml")).unwrap();
    assert_eq!(h.bricks.len(), 6);
    assert_eq!((h.pending(), h.unknown().len()), (0, 0));
    assert!(h.bricks.iter().all(|b| b.status == "Connected"));
    let (errno, msg) = refusal(parse::heal_info(&fixture("heal-info-dist.xml")));
    assert_eq!(errno, 22);
    assert!(msg.contains("supported for only volumes of replicate/disperse type"));
    let offline = "<cliOutput><healInfo><bricks><brick hostUuid=\"x\"><name>h:/b</name><status>Transport endpoint is not connected</status><numberOfEntries>-</numberOfEntries></brick><brick><name>h:/c</name><status>Connected</status><numberOfEntries>4</numberOfEntries></brick></bricks></healInfo><opRet>0</opRet></cliOutput>";
    let h = parse::heal_info(offline).unwrap();
    assert_eq!((h.pending(), h.unknown()), (4, vec!["h:/b"]));
}
