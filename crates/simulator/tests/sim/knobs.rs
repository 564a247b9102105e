//! Knob `bricks_down` (a brick process is dead): a removal started meanwhile fails and gluster
//! keeps it until it is stopped; a rebalance fails on every node; the dead brick itself cannot
//! be removed. Also the helpers of the other knob tests.

use crate::structure::{real, same_shape, Sim};
use domain::{TaskKind, TaskStatus};
use gluster::parse;
use serde_json::Value;
use simulator::Reply;
use std::path::Path;
use std::time::Duration;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../gluster/tests/fixtures/gluster-10.3"
);

/// Compares with the capture of this very situation when it exists, else with the capture of
/// the nearest situation (same command, same document shape).
pub(crate) fn like(capture: &str, nearest: &str, got: &Reply) {
    if captured(capture) {
        same_shape(capture, got);
        let want = real(capture);
        let (w, g) = (envelope(&want), envelope(&got.stdout));
        assert_eq!(
            (w.0, w.1, w.2),
            (g.0, g.1, g.2),
            "{capture}: opRet/opErrno/opErrstr"
        );
    } else {
        same_shape(nearest, got);
    }
}

fn captured(capture: &str) -> bool {
    Path::new(&format!("{FIXTURES}/{capture}")).exists()
}

/// Compares a task listing with the capture of this situation, if it exists: the same tasks
/// on `dist` (the other volumes' tasks depend on what the capture run did before).
pub(crate) fn like_listing(capture: &str, got: &Reply) {
    if !captured(capture) {
        return;
    }
    let dist = |xml: &str| {
        parse::status_tasks(xml)
            .unwrap()
            .into_iter()
            .find(|v| v.volume == "dist")
            .map(|v| {
                v.tasks
                    .iter()
                    .map(|t| (t.kind, t.status))
                    .collect::<Vec<_>>()
            })
    };
    assert_eq!(dist(&real(capture)), dist(&got.stdout), "{capture}");
    assert_eq!(got.code, crate::structure::real_exit(capture), "{capture}");
}

/// Runs `words` on node `n` (1-based) of the simulator `s`.
fn run_on(s: &Sim, n: usize, words: &str) -> Reply {
    let mut opts = s.opts.clone();
    opts.node = n - 1;
    let mut args = vec!["--mode=script".to_owned(), "--xml".to_owned()];
    args.extend(words.split(' ').map(str::to_owned));
    simulator::run(&opts, &args)
}

/// `(opRet, opErrno, opErrstr)` of an answer.
fn envelope(xml: &str) -> (String, String, String) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let text = |name: &str| {
        doc.root_element()
            .children()
            .find(|c| c.has_tag_name(name))
            .map(|c| c.text().unwrap_or("").to_owned())
            .unwrap_or_else(|| panic!("no {name}: {xml}"))
    };
    (text("opRet"), text("opErrno"), text("opErrstr"))
}

pub(crate) fn refused(r: &Reply, message: &str) {
    assert_eq!(
        envelope(&r.stdout),
        ("-1".to_owned(), "30800".to_owned(), message.to_owned()),
        "{}",
        r.stdout
    );
}

pub(crate) fn accepted(r: &Reply, message: &str) {
    assert_eq!(
        envelope(&r.stdout),
        ("0".to_owned(), "0".to_owned(), message.to_owned()),
        "{}",
        r.stdout
    );
}

/// Changes the state file (no command runs meanwhile in these tests).
pub(crate) fn edit(s: &Sim, change: impl FnOnce(&mut Value)) {
    s.run("pool list");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&s.opts.state).unwrap()).unwrap();
    change(&mut state);
    std::fs::write(&s.opts.state, serde_json::to_vec(&state).unwrap()).unwrap();
}

fn bricks_down(s: &Sim, volume: usize, bricks: &[&str]) {
    edit(s, |st| st["volumes"][volume]["bricks_down"] = bricks.into());
}

const B2: &str = "server2:/bricks/dist/b2";
const B3: &str = "server3:/bricks/dist/b3";
pub(crate) const B4: &str = "server1:/bricks/dist/b4";

pub(crate) fn dist_task(s: &Sim) -> Option<(TaskKind, uuid::Uuid, TaskStatus)> {
    let listed = parse::status_tasks(&s.run("volume status all tasks").stdout).unwrap();
    let dist = listed.iter().find(|v| v.volume == "dist").unwrap();
    dist.tasks.first().map(|t| (t.kind, t.id, t.status))
}

#[test]
fn a_removal_started_while_a_brick_is_down_fails_and_gluster_keeps_it_until_stopped() {
    let s = Sim::new(0.4);
    bricks_down(&s, 0, &[B2]);
    let start = s.run(&format!("volume remove-brick dist {B4} start"));
    accepted(&start, "Remove Brick start successful");
    like(
        "remove-brick-start-brick-down.xml",
        "remove-brick-start.xml",
        &start,
    );
    let id = parse::remove_brick_done(&start.stdout).unwrap().unwrap();
    let status = format!("volume remove-brick dist {B4} status");
    assert_eq!(
        parse::remove_brick_report(&s.run(&status).stdout)
            .unwrap()
            .status,
        TaskStatus::InProgress,
        "it fails shortly after it starts"
    );
    std::thread::sleep(Duration::from_millis(300));

    let failed = s.run(&status);
    // Here the answering node is the failing one (the capture's n2 view); seen from another
    // node it is listed by name (the capture's n1 view).
    like(
        "remove-brick-status-failed-brick-down-n2.xml",
        "remove-brick-status-in-progress.xml",
        &failed,
    );
    let elsewhere = run_on(&s, 2, &status);
    like(
        "remove-brick-status-failed-brick-down.xml",
        "remove-brick-status-in-progress.xml",
        &elsewhere,
    );
    let seen = parse::remove_brick_report(&elsewhere.stdout).unwrap();
    assert_eq!(
        (seen.nodes.len(), seen.nodes[0].name.as_str(), seen.status),
        (1, "server1", TaskStatus::Failed)
    );
    let report = parse::remove_brick_report(&failed.stdout).unwrap();
    assert_eq!(
        (report.task_id, report.status),
        (Some(id), TaskStatus::Failed)
    );
    assert_eq!(report.nodes.len(), 1, "only the node of the removed brick");
    let node = &report.nodes[0];
    assert_eq!(
        (node.name.as_str(), node.status, node.failures, node.files),
        ("localhost", TaskStatus::Failed, 1, 0)
    );
    assert!(failed.stdout.contains("<statusStr>failed</statusStr>"));

    // gluster keeps listing the failed removal, and keeps it in the way.
    let listed = s.run("volume status all tasks");
    like_listing("status-all-tasks-failed-removal.xml", &listed);
    like(
        "volume-status-dist-tasks-failed-removal.xml",
        "volume-status-dist-tasks-remove-brick-in-progress.xml",
        &s.run("volume status dist tasks"),
    );
    assert!(listed.stdout.contains(&format!("<brick>{B4}</brick>")));
    assert_eq!(
        dist_task(&s),
        Some((TaskKind::RemoveBrick, id, TaskStatus::Failed))
    );
    let again = s.run(&format!("volume remove-brick dist {B3} start"));
    refused(&again, "An earlier remove-brick task exists for volume dist. Either commit it or stop it before starting a new task.");
    like(
        "remove-brick-start-while-failed-removal.xml",
        "remove-brick-other-brick-uncommitted.xml",
        &again,
    );
    let rebalance = s.run("volume rebalance dist start");
    refused(&rebalance, "A remove-brick task on volume dist is not yet committed. Either commit or stop the remove-brick task.");
    like(
        "rebalance-start-while-failed-removal.xml",
        "rebalance-start-remove-brick-uncommitted.xml",
        &rebalance,
    );
    // The check fails on the node that ran the migration: asked elsewhere (as in the real
    // capture, whose host names differ), gluster names that node.
    let commit = s.run(&format!("volume remove-brick dist {B4} commit"));
    refused(&commit, "use 'force' option as migration has failed");
    let remote = run_on(&s, 2, &format!("volume remove-brick dist {B4} commit"));
    refused(
        &remote,
        "Pre Validation failed on server1. use 'force' option as migration has failed",
    );
    same_shape(
        if captured("remove-brick-commit-failed-removal.xml") {
            "remove-brick-commit-failed-removal.xml"
        } else {
            "remove-brick-commit-in-progress.xml"
        },
        &remote,
    );
    assert_eq!(s.run("volume rebalance dist status").code, 1);

    // Only a stop clears it; its reply still shows the failure.
    let stop = s.run(&format!("volume remove-brick dist {B4} stop"));
    like(
        "remove-brick-stop-failed-removal.xml",
        "remove-brick-stop.xml",
        &stop,
    );
    assert_eq!(
        parse::remove_brick_report(&stop.stdout).unwrap().status,
        TaskStatus::Failed
    );
    let forgotten = s.run(&status);
    refused(&forgotten, "remove-brick not started for volume dist.");
    like(
        "remove-brick-status-failed-removal-stopped.xml",
        "remove-brick-status-stopped.xml",
        &forgotten,
    );
    like_listing(
        "volume-status-all-tasks-failed-removal-stopped.xml",
        &s.run("volume status all tasks"),
    );
    assert_eq!(dist_task(&s), None);
    let volume = parse::volume_info(&s.run("volume info dist").stdout).unwrap();
    assert_eq!(volume[0].bricks.len(), 4, "the bricks stay");

    // With the brick back, removals and rebalances work again.
    bricks_down(&s, 0, &[]);
    accepted(
        &s.run(&format!("volume remove-brick dist {B4} start")),
        "Remove Brick start successful",
    );
    s.run(&format!("volume remove-brick dist {B4} stop"));
    let rebalance = s.run("volume rebalance dist start");
    accepted(&rebalance, "");
    like(
        "rebalance-start-after-failed-removal.xml",
        "rebalance-start.xml",
        &rebalance,
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        dist_task(&s).map(|t| (t.0, t.2)),
        Some((TaskKind::Rebalance, TaskStatus::Completed))
    );
}

#[test]
fn removing_the_dead_brick_itself_is_refused_where_it_lives() {
    let s = Sim::new(30.0);
    bricks_down(&s, 0, &[B2, B4]);
    // The answering node (server1) finds its own dead brick first.
    let local = s.run(&format!("volume remove-brick dist {B2} {B4} start"));
    refused(&local, &format!("Found dead brick {B4}"));
    same_shape("remove-brick-other-brick-uncommitted.xml", &local);
    refused(
        &s.run(&format!("volume remove-brick dist {B2} start")),
        &format!("Staging failed on server2. Error: Found dead brick {B2}"),
    );
    // Forced removal does not migrate, so glusterd does not check.
    accepted(
        &s.run(&format!("volume remove-brick dist {B2} force")),
        "Remove Brick commit force successful",
    );
}

#[test]
fn a_rebalance_started_while_a_brick_is_down_fails_on_every_node() {
    let s = Sim::new(0.4);
    bricks_down(&s, 0, &[B3]);
    accepted(&s.run("volume rebalance dist start"), "");
    std::thread::sleep(Duration::from_millis(300));
    let status = s.run("volume rebalance dist status");
    same_shape("rebalance-status-peer-down-new-task.xml", &status);
    let report = parse::rebalance_report(&status.stdout).unwrap();
    assert_eq!(report.status, TaskStatus::Failed);
    assert_eq!(report.nodes.len(), 3);
    assert!(report
        .nodes
        .iter()
        .all(|n| n.status == TaskStatus::Failed && n.failures == 1 && n.files == 0));
    assert_eq!(dist_task(&s).map(|t| t.2), Some(TaskStatus::Failed));
    // A failed rebalance is not running: a new one may start.
    accepted(&s.run("volume rebalance dist start"), "");
    // A fix-layout fails with its own code; the task list shows it as a plain failure.
    bricks_down(&s, 1, &["server1:/bricks/distrep/b1"]);
    s.run("volume rebalance distrep fix-layout start");
    std::thread::sleep(Duration::from_millis(300));
    let fix = parse::rebalance_report(&s.run("volume rebalance distrep status").stdout).unwrap();
    assert_eq!(fix.status, TaskStatus::FixLayoutFailed);
    let listed = parse::status_tasks(&s.run("volume status distrep tasks").stdout).unwrap();
    assert_eq!(listed[0].tasks[0].status, TaskStatus::Failed);
}
