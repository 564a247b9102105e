//! Brick removals finished or stopped with the CLI while the service was waiting.

use crate::{job, removal_job, world};
use domain::JobStatus;

#[test]
fn a_removal_finished_with_the_cli_ends_as_the_volume_shows() {
    // Committed with the CLI: the brick left the volume → succeeded.
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = removal_job(&w, "server1:/b/dist3");
    w.fake.volumes.lock().unwrap()[0].bricks.pop();
    w.fake.set_tasks(Ok(vec![]));
    for _ in 0..3 {
        w.poller.run_cycle().unwrap();
    }
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Succeeded, "{:?}", rec.job.reason);
    assert!(rec.job.reason.unwrap().contains("committed outside"));

    // Stopped with the CLI: the brick is still there → stopped.
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = removal_job(&w, "server1:/b/dist3");
    w.fake.set_tasks(Ok(vec![]));
    for _ in 0..3 {
        w.poller.run_cycle().unwrap();
    }
    assert_eq!(job(&w, id).job.status, JobStatus::Stopped);
}
