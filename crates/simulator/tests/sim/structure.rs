//! The simulator's XML has the element structure of real gluster 10.3 output for every command
//! it implements, and the same exit code. Each case puts the simulator in the scenario of one
//! real capture (fixtures/gluster-10.3 in the gluster crate) and compares the two documents'
//! shapes: every element path, and the order of each element's distinct children.

use simulator::{run, Reply, SimOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../gluster/tests/fixtures/gluster-10.3"
);

pub(crate) fn real(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The exit code of each capture, from MANIFEST.md.
pub(crate) fn real_exit(name: &str) -> u8 {
    let manifest = real("MANIFEST.md");
    let row = manifest
        .lines()
        .find(|l| l.starts_with(&format!("| `{name}`")))
        .unwrap_or_else(|| panic!("{name} not in MANIFEST.md"));
    row.split('|').nth(4).unwrap().trim().parse().unwrap()
}

/// Element paths, each with the order of its distinct child names (repeats collapsed).
fn shape(xml: &str) -> BTreeSet<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let mut out = BTreeSet::new();
    fn walk(n: roxmltree::Node, prefix: &str, out: &mut BTreeSet<String>) {
        let path = format!("{prefix}/{}", n.tag_name().name());
        let mut kids: Vec<&str> = Vec::new();
        for c in n.children().filter(|c| c.is_element()) {
            if kids.last() != Some(&c.tag_name().name()) {
                kids.push(c.tag_name().name());
            }
            walk(c, &path, out);
        }
        let attrs: Vec<&str> = n.attributes().map(|a| a.name()).collect();
        out.insert(format!("{path} [{}] @{}", kids.join(","), attrs.join(",")));
    }
    walk(doc.root_element(), "", &mut out);
    out
}

/// A simulator on its own state file, answering as node 1.
pub(crate) struct Sim {
    _dir: tempfile::TempDir,
    pub(crate) opts: SimOptions,
}

impl Sim {
    pub(crate) fn new(task_secs: f64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let opts = SimOptions {
            state: dir.path().join("s.json"),
            node: 0,
            task_secs,
            call_log: None,
        };
        Sim { _dir: dir, opts }
    }
    pub(crate) fn run(&self, words: &str) -> Reply {
        let mut args = vec!["--mode=script".to_owned(), "--xml".to_owned()];
        args.extend(words.split(' ').map(str::to_owned));
        run(&self.opts, &args)
    }
}

pub(crate) fn same_shape(fixture: &str, got: &Reply) {
    let want = real(fixture);
    let (w, g) = (shape(&want), shape(&got.stdout));
    let missing: Vec<_> = w.difference(&g).collect();
    let extra: Vec<_> = g.difference(&w).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{fixture}: simulator lacks {missing:#?}\nand adds {extra:#?}"
    );
    assert_eq!(got.code, real_exit(fixture), "{fixture}: exit code");
}

#[test]
fn inventory_commands() {
    let s = Sim::new(30.0);
    same_shape("pool-list.xml", &s.run("pool list"));
    same_shape("peer-status.xml", &s.run("peer status"));
    same_shape("volume-info-all.xml", &s.run("volume info"));
    same_shape("volume-info-dist.xml", &s.run("volume info dist"));
    same_shape("volume-info-nosuchvol.xml", &s.run("volume info nosuchvol"));
}

#[test]
fn task_listing_commands() {
    let s = Sim::new(0.3);
    same_shape(
        "volume-status-all-tasks-idle.xml",
        &s.run("volume status all tasks"),
    );
    same_shape(
        "volume-status-dist-tasks-idle.xml",
        &s.run("volume status dist tasks"),
    );
    same_shape(
        "volume-status-stopped-tasks.xml",
        &s.run("volume status archive tasks"),
    );
    same_shape(
        "volume-status-nosuchvol-tasks.xml",
        &s.run("volume status nosuchvol tasks"),
    );
    s.run("volume rebalance dist start");
    same_shape(
        "volume-status-all-tasks-rebalance-in-progress.xml",
        &s.run("volume status all tasks"),
    );
    same_shape(
        "volume-status-dist-tasks-rebalance-in-progress.xml",
        &s.run("volume status dist tasks"),
    );
    std::thread::sleep(Duration::from_millis(400));
    same_shape(
        "volume-status-all-tasks-rebalance-completed.xml",
        &s.run("volume status all tasks"),
    );
}

#[test]
fn rebalance_commands_and_their_refusals() {
    let s = Sim::new(0.5);
    same_shape(
        "rebalance-status-never-started.xml",
        &s.run("volume rebalance dist status"),
    );
    same_shape(
        "rebalance-stop-not-running.xml",
        &s.run("volume rebalance dist stop"),
    );
    same_shape(
        "rebalance-status-nosuchvol.xml",
        &s.run("volume rebalance nosuchvol status"),
    );
    same_shape(
        "rebalance-start-nosuchvol.xml",
        &s.run("volume rebalance nosuchvol start"),
    );
    same_shape(
        "rebalance-start-single.xml",
        &s.run("volume rebalance single start"),
    );
    same_shape(
        "rebalance-start-stopped.xml",
        &s.run("volume rebalance archive start"),
    );
    same_shape("rebalance-start.xml", &s.run("volume rebalance dist start"));
    same_shape(
        "rebalance-start-already-running.xml",
        &s.run("volume rebalance dist start"),
    );
    same_shape(
        "rebalance-start-force-already-running.xml",
        &s.run("volume rebalance dist start force"),
    );
    same_shape(
        "rebalance-fix-layout-start-while-running.xml",
        &s.run("volume rebalance dist fix-layout start"),
    );
    same_shape(
        "rebalance-status-in-progress.xml",
        &s.run("volume rebalance dist status"),
    );
    std::thread::sleep(Duration::from_millis(600));
    same_shape(
        "rebalance-status-completed.xml",
        &s.run("volume rebalance dist status"),
    );
    same_shape(
        "rebalance-stop-after-completed.xml",
        &s.run("volume rebalance dist stop"),
    );
    same_shape(
        "volume-status-all-tasks-rebalance-completed.xml",
        &s.run("volume status all tasks"),
    );
}

#[test]
fn stop_and_what_gluster_says_afterwards() {
    let s = Sim::new(30.0);
    same_shape(
        "rebalance-start-force.xml",
        &s.run("volume rebalance dist start force"),
    );
    same_shape("rebalance-stop.xml", &s.run("volume rebalance dist stop"));
    same_shape(
        "rebalance-status-stopped.xml",
        &s.run("volume rebalance dist status"),
    );
    same_shape(
        "rebalance-stop-after-stopped.xml",
        &s.run("volume rebalance dist stop"),
    );
    same_shape(
        "volume-status-all-tasks-rebalance-stopped.xml",
        &s.run("volume status all tasks"),
    );
}

#[test]
fn fix_layout() {
    let s = Sim::new(0.5);
    same_shape(
        "rebalance-fix-layout-start.xml",
        &s.run("volume rebalance distrep fix-layout start"),
    );
    same_shape(
        "rebalance-status-fix-layout-in-progress.xml",
        &s.run("volume rebalance distrep status"),
    );
    let listed = s.run("volume status distrep tasks");
    same_shape("volume-status-distrep-tasks-fix-layout.xml", &listed);
    // Like gluster, the task list reports a fix-layout as a plain rebalance in progress.
    assert!(
        listed.stdout.contains("<status>1</status>"),
        "{}",
        listed.stdout
    );
    std::thread::sleep(Duration::from_millis(600));
    same_shape(
        "rebalance-status-fix-layout-completed.xml",
        &s.run("volume rebalance distrep status"),
    );
}

#[test]
fn glusterd_down_is_the_same_text_and_exit_code() {
    let s = Sim::new(30.0);
    s.run("pool list");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&s.opts.state).unwrap()).unwrap();
    state["peers"][0]["up"] = serde_json::Value::Bool(false);
    std::fs::write(&s.opts.state, serde_json::to_vec(&state).unwrap()).unwrap();
    let cases: BTreeMap<&str, &str> = [
        (
            "volume-status-all-tasks-glusterd-down.out",
            "volume status all tasks",
        ),
        ("pool-list-glusterd-down.out", "pool list"),
        (
            "rebalance-status-glusterd-down.out",
            "volume rebalance dist status",
        ),
    ]
    .into_iter()
    .collect();
    for (fixture, words) in cases {
        let got = s.run(words);
        assert_eq!(got.stdout, real(fixture), "{fixture}");
        assert_eq!(got.code, real_exit(fixture), "{fixture}");
    }
}

#[test]
fn remove_brick_commands_and_their_refusals() {
    let s = Sim::new(0.5);
    // In the real capture sequence distrep had a finished rebalance listed meanwhile.
    s.run("volume rebalance distrep start");
    let b = |n: usize| format!("server{}:/bricks/dist/b{n}", (n - 1) % 3 + 1);
    same_shape(
        "remove-brick-status-never-started.xml",
        &s.run(&format!("volume remove-brick dist {} status", b(4))),
    );
    same_shape(
        "remove-brick-not-in-volume.xml",
        &s.run("volume remove-brick dist server3:/nope start"),
    );
    same_shape(
        "remove-brick-all-bricks.xml",
        &s.run(&format!(
            "volume remove-brick dist {} {} {} {} start",
            b(1),
            b(2),
            b(3),
            b(4)
        )),
    );
    let dr = |n: usize| format!("server{}:/bricks/distrep/b{n}", (n - 1) % 3 + 1);
    same_shape(
        "remove-brick-distrep-wrong-count.xml",
        &s.run(&format!(
            "volume remove-brick distrep {} {} start",
            dr(4),
            dr(5)
        )),
    );
    same_shape(
        "remove-brick-distrep-not-a-set.xml",
        &s.run(&format!(
            "volume remove-brick distrep {} {} {} start",
            dr(1),
            dr(2),
            dr(6)
        )),
    );
    same_shape(
        "remove-brick-start.xml",
        &s.run(&format!("volume remove-brick dist {} start", b(4))),
    );
    same_shape(
        "remove-brick-start-again.xml",
        &s.run(&format!("volume remove-brick dist {} start", b(4))),
    );
    same_shape(
        "remove-brick-other-brick-uncommitted.xml",
        &s.run(&format!("volume remove-brick dist {} start", b(3))),
    );
    same_shape(
        "remove-brick-status-in-progress.xml",
        &s.run(&format!("volume remove-brick dist {} status", b(4))),
    );
    same_shape(
        "volume-status-dist-tasks-remove-brick-in-progress.xml",
        &s.run("volume status dist tasks"),
    );
    same_shape(
        "rebalance-start-during-remove-brick.xml",
        &s.run("volume rebalance dist start"),
    );
    same_shape(
        "rebalance-status-during-remove-brick.xml",
        &s.run("volume rebalance dist status"),
    );
    same_shape(
        "remove-brick-commit-in-progress.xml",
        &s.run(&format!("volume remove-brick dist {} commit", b(4))),
    );
    std::thread::sleep(Duration::from_millis(600));
    same_shape(
        "remove-brick-status-completed.xml",
        &s.run(&format!("volume remove-brick dist {} status", b(4))),
    );
    same_shape(
        "volume-status-all-tasks-remove-brick-completed.xml",
        &s.run("volume status all tasks"),
    );
    same_shape(
        "remove-brick-commit.xml",
        &s.run(&format!("volume remove-brick dist {} commit", b(4))),
    );
    same_shape(
        "remove-brick-status-after-commit.xml",
        &s.run(&format!("volume remove-brick dist {} status", b(1))),
    );
    same_shape(
        "volume-status-dist-tasks-after-commit.xml",
        &s.run("volume status dist tasks"),
    );
    same_shape(
        "remove-brick-force.xml",
        &s.run(&format!("volume remove-brick dist {} force", b(2))),
    );
    same_shape(
        "volume-info-dist-after-remove.xml",
        &s.run("volume info dist"),
    );
}

#[test]
fn remove_brick_stop_and_replica_reduction() {
    let mut s = Sim::new(0.2);
    // In the real capture sequence another volume had a finished rebalance listed meanwhile.
    s.run("volume rebalance dist start");
    std::thread::sleep(Duration::from_millis(300));
    s.opts.task_secs = 30.0;
    let dr = |n: usize| format!("server{}:/bricks/distrep/b{n}", (n - 1) % 3 + 1);
    let set2 = format!("{} {} {}", dr(4), dr(5), dr(6));
    same_shape(
        "remove-brick-distrep-set-start.xml",
        &s.run(&format!("volume remove-brick distrep {set2} start")),
    );
    same_shape(
        "remove-brick-distrep-set-status-in-progress.xml",
        &s.run(&format!("volume remove-brick distrep {set2} status")),
    );
    same_shape(
        "volume-status-distrep-tasks-remove-brick.xml",
        &s.run("volume status distrep tasks"),
    );
    same_shape(
        "remove-brick-stop.xml",
        &s.run(&format!("volume remove-brick distrep {set2} stop")),
    );
    same_shape(
        "remove-brick-status-stopped.xml",
        &s.run(&format!("volume remove-brick distrep {set2} status")),
    );
    same_shape(
        "volume-status-all-tasks-remove-brick-stopped.xml",
        &s.run("volume status all tasks"),
    );
    same_shape(
        "remove-brick-replica-reduction.xml",
        &s.run(&format!(
            "volume remove-brick distrep replica 2 {} {} force",
            dr(3),
            dr(6)
        )),
    );
    same_shape(
        "volume-info-distrep-after-reduction.xml",
        &s.run("volume info distrep"),
    );
}

#[test]
fn heal_info() {
    let s = Sim::new(30.0);
    same_shape("heal-info-distrep.xml", &s.run("volume heal distrep info"));
    same_shape("heal-info-dist.xml", &s.run("volume heal dist info"));
}
