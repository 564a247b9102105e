//! The simulator answers like gluster 10.3: its XML parses with the driver's parsers, tasks
//! progress with time, and its refusals use gluster's words.

use domain::{TaskKind, TaskStatus, VolumeType};
use gluster::{parse, DriverError};
use simulator::{run, Reply, SimOptions};
use std::time::Duration;

fn opts(dir: &tempfile::TempDir, secs: f64, node: usize) -> SimOptions {
    SimOptions {
        state: dir.path().join("s.json"),
        node,
        task_secs: secs,
        call_log: Some(dir.path().join("calls.log")),
    }
}

fn sim(o: &SimOptions, words: &str) -> Reply {
    let mut args = vec!["--mode=script".to_owned(), "--xml".to_owned()];
    args.extend(words.split(' ').map(str::to_owned));
    run(o, &args)
}

fn refusal(r: &Reply) -> String {
    match parse::status_tasks(&r.stdout) {
        Err(DriverError::Gluster { message, .. }) => message,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[test]
fn inventory_has_three_peers_and_the_promised_volumes() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 3.0, 1);
    let peers = parse::peers(&sim(&o, "pool list").stdout).unwrap();
    assert_eq!(peers.len(), 3);
    assert_eq!(
        peers.iter().filter(|p| p.hostname == "localhost").count(),
        1
    );
    assert_eq!(
        parse::peers(&sim(&o, "peer status").stdout).unwrap().len(),
        2
    );
    let vols = parse::volume_info(&sim(&o, "volume info").stdout).unwrap();
    let by = |n: &str| vols.iter().find(|v| v.name == n).unwrap();
    assert_eq!(
        (by("dist").vol_type, by("dist").layout.distribute_count),
        (VolumeType::Distribute, 4)
    );
    assert_eq!(
        (
            by("distrep").layout.distribute_count,
            by("distrep").layout.replica_count
        ),
        (2, 3)
    );
    assert_eq!(by("single").bricks.len(), 1);
    // The state persists: the same ids on the next call, from any node.
    let again = parse::volume_info(&sim(&opts(&dir, 3.0, 2), "volume info dist").stdout).unwrap();
    assert_eq!(again[0].id, by("dist").id);
    assert_eq!(
        refusal(&sim(&o, "volume info nosuch")),
        "Volume does not exist"
    );
}

#[test]
fn a_rebalance_progresses_with_wall_time_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 1.0, 0);
    let id = parse::rebalance_started(&sim(&o, "volume rebalance dist start").stdout)
        .unwrap()
        .unwrap();
    let tasks = parse::status_tasks(&sim(&o, "volume status all tasks").stdout).unwrap();
    let dist = tasks.iter().find(|v| v.volume == "dist").unwrap();
    assert_eq!(
        (dist.tasks[0].kind, dist.tasks[0].id, dist.tasks[0].status),
        (TaskKind::Rebalance, id, TaskStatus::InProgress)
    );
    assert!(
        tasks.iter().all(|v| v.volume != "archive"),
        "stopped volumes are not listed"
    );
    let early = parse::rebalance_report(&sim(&o, "volume rebalance dist status").stdout).unwrap();
    assert_eq!(
        (early.task_id, early.status, early.nodes.len()),
        (Some(id), TaskStatus::InProgress, 3)
    );
    assert_eq!(
        early.nodes.iter().filter(|n| n.name == "localhost").count(),
        1
    );
    std::thread::sleep(Duration::from_millis(1100));
    let done = parse::rebalance_report(&sim(&o, "volume rebalance dist status").stdout).unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    // dist's files are 512 KiB each (see usage.rs for the model).
    assert!(done.nodes.iter().all(|n| n.status == TaskStatus::Completed
        && n.files > 0
        && n.size_bytes == n.files * 512 * 1024));
    assert!(done
        .nodes
        .iter()
        .zip(&early.nodes)
        .all(|(d, e)| d.files >= e.files));
    let listed = parse::status_tasks(&sim(&o, "volume status dist tasks").stdout).unwrap();
    assert_eq!(
        listed[0].tasks[0].status,
        TaskStatus::Completed,
        "a completed task stays listed"
    );
}

#[test]
fn stop_freezes_the_counters_and_gluster_forgets_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 30.0, 0);
    sim(&o, "volume rebalance distrep fix-layout start");
    let stop = parse::rebalance_report(&sim(&o, "volume rebalance distrep stop").stdout).unwrap();
    assert_eq!(stop.status, TaskStatus::FixLayoutStopped);
    assert!(stop
        .nodes
        .iter()
        .all(|n| n.status == TaskStatus::FixLayoutStopped && n.files == 0));
    let tasks = parse::status_tasks(&sim(&o, "volume status all tasks").stdout).unwrap();
    assert!(tasks
        .iter()
        .find(|v| v.volume == "distrep")
        .unwrap()
        .tasks
        .is_empty());
    // Like gluster 10.3: after a stop, status and stop say the rebalance was never started.
    let after = sim(&o, "volume rebalance distrep status");
    assert_eq!(after.code, 1);
    assert_eq!(refusal(&after), "Rebalance not started for volume distrep.");
    assert!(after.stdout.contains("<cliOp>volRebalance</cliOp>"));
    assert_eq!(sim(&o, "volume rebalance distrep stop").code, 1);
}

#[test]
fn stopping_a_completed_rebalance_is_accepted_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 0.2, 0);
    sim(&o, "volume rebalance dist start");
    std::thread::sleep(Duration::from_millis(300));
    let r = sim(&o, "volume rebalance dist stop");
    assert_eq!(r.code, 0);
    assert_eq!(
        parse::rebalance_report(&r.stdout).unwrap().status,
        TaskStatus::Completed
    );
    let s = parse::rebalance_report(&sim(&o, "volume rebalance dist status").stdout).unwrap();
    assert_eq!(s.status, TaskStatus::Completed);
}

#[test]
fn refusals_use_gluster_wording() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 30.0, 0);
    sim(&o, "volume rebalance dist start");
    assert_eq!(
        refusal(&sim(&o, "volume rebalance dist start force")),
        "Rebalance on dist is already started"
    );
    assert!(refusal(&sim(&o, "volume rebalance single start"))
        .contains("not a distribute volume or contains only 1 brick"));
    assert!(refusal(&sim(&o, "volume rebalance archive start")).contains("needs to be started"));
    assert_eq!(
        refusal(&sim(&o, "volume rebalance nosuch start")),
        "Volume nosuch does not exist"
    );
    assert!(refusal(&sim(&o, "volume rebalance single status")).contains("not started"));
}

#[test]
fn unknown_commands_and_missing_xml_mode_are_not_xml() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 30.0, 0);
    let r = sim(&o, "volume frobnicate");
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    let r = run(&o, &["volume".into(), "info".into()]);
    assert_eq!(r.code, 1);
}

#[test]
fn a_node_whose_glusterd_is_down_answers_like_the_real_cli() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, 30.0, 0);
    sim(&o, "pool list");
    let path = dir.path().join("s.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    state["peers"][2]["up"] = serde_json::Value::Bool(false);
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let r = sim(&opts(&dir, 30.0, 2), "volume status all tasks");
    assert_eq!(r.code, 1);
    assert!(r
        .stdout
        .starts_with("Connection failed. Please check if gluster daemon is operational."));
    assert_eq!(sim(&o, "pool list").code, 0, "the other nodes still answer");
}

#[test]
fn options_before_gluster_arguments_are_the_simulator_s() {
    let args: Vec<String> = [
        "--state",
        "/x.json",
        "--node",
        "2",
        "--task-secs",
        "4",
        "--mode=script",
        "--xml",
        "pool",
        "list",
    ]
    .map(String::from)
    .to_vec();
    let (o, rest) = simulator::parse_options(&args).unwrap();
    assert_eq!(
        (o.state.to_str().unwrap(), o.node, o.task_secs),
        ("/x.json", 1, 4.0)
    );
    assert_eq!(rest, ["--mode=script", "--xml", "pool", "list"]);
    assert!(simulator::parse_options(&["--node".into(), "0".into()]).is_err());
    assert!(simulator::parse_options(&["--task-secs".into(), "-1".into()]).is_err());
}

#[test]
fn the_call_log_names_the_caller_the_node_and_the_command() {
    let dir = tempfile::tempdir().unwrap();
    sim(&opts(&dir, 1.0, 1), "volume status all tasks");
    sim(&opts(&dir, 1.0, 2), "pool list");
    let log = std::fs::read_to_string(dir.path().join("calls.log")).unwrap();
    let lines: Vec<Vec<&str>> = log.lines().map(|l| l.splitn(4, ' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{log}");
    // Run in-process here, so the "caller" is this test process's parent.
    let me = std::os::unix::process::parent_id().to_string();
    assert_eq!(lines[0][1..], [me.as_str(), "2", "volume status all tasks"]);
    assert_eq!(lines[1][1..], [me.as_str(), "3", "pool list"]);
    assert!(lines[0][0].parse::<f64>().unwrap() > 1.7e9);
}
