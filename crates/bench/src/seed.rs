//! Filling a store with a history of ended jobs, in large transactions, through the public
//! repository functions (`clusters::ensure`, `jobs::insert`, `jobs::set_nodes`, `jobs::list`).

use crate::history::{ended_job, VolumeRef};
use chrono::{DateTime, Duration, Utc};
use persistence::repo::{clusters, jobs, volumes};
use persistence::{Backend, JobFilter, PersistenceError, Store};
use uuid::Uuid;

/// Jobs written per transaction.
pub const BATCH: usize = 2_000;

/// What the benchmark needs to know about a seeded history.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Jobs written.
    pub jobs: usize,
    /// An ended job (the newest one).
    pub job_id: Option<Uuid>,
    /// The volume of that job (it has about `jobs / volumes` jobs).
    pub volume_id: Option<Uuid>,
    /// Ids spread evenly over the history (to see a purge's progress from outside).
    pub samples: Vec<Uuid>,
}

/// The shape of a seeded history.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Jobs to write.
    pub count: usize,
    /// When the newest was created.
    pub newest: DateTime<Utc>,
    /// Time between two jobs' creation, going back.
    pub spacing: Duration,
    /// PostgreSQL: connections writing at once (SQLite always writes with one).
    pub threads: usize,
}

/// Writes the cluster's `inventory` (as the poller would) and the ended jobs of `plan` for
/// cluster `cluster` over `volumes`. SQLite takes the batches one after the other;
/// PostgreSQL takes them on `plan.threads` connections at once.
pub fn seed(
    store: &Store,
    cluster: &str,
    inventory: &[domain::Volume],
    volumes: &[VolumeRef],
    plan: Plan,
) -> Result<Seeded, PersistenceError> {
    let Plan {
        count,
        newest,
        spacing,
        threads,
    } = plan;
    let cluster_id = scheduler::ClusterContext::id_for(cluster);
    store.write(|c| clusters::ensure(c, cluster_id, cluster, Utc::now()))?;
    if !inventory.is_empty() {
        store.write(|c| volumes::replace_inventory(c, cluster_id, inventory))?;
    }
    let batches: Vec<(usize, usize)> = (0..count)
        .step_by(BATCH)
        .map(|start| (start, (start + BATCH).min(count)))
        .collect();
    let threads = match store.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => threads.max(1),
    };
    let write_batch = |(start, end): (usize, usize)| {
        store.write(|c| {
            for i in start..end {
                let Some(s) = ended_job(i, volumes, cluster_id, newest, spacing) else {
                    continue;
                };
                jobs::insert(c, &s.job, &s.steps)?;
                let at = s.job.ended_at.unwrap_or(s.job.created_at);
                jobs::set_nodes(c, s.job.id, &s.nodes, &[], at)?;
            }
            Ok(())
        })
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<(usize, usize)> =
                    batches.iter().copied().skip(t).step_by(threads).collect();
                let write_batch = &write_batch;
                scope.spawn(move || mine.into_iter().try_for_each(write_batch))
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(PersistenceError::Pool("a seeding thread panicked".into())))
        })
    })?;
    // The ids were drawn at random: read back the ones the benchmark asks for.
    let at = |i: usize| -> Result<Option<Uuid>, PersistenceError> {
        if i >= count {
            return Ok(None);
        }
        job_created_at(
            store,
            newest - spacing * i32::try_from(i).unwrap_or(i32::MAX),
        )
    };
    let first = at(0)?;
    let samples = (0..20)
        .map(|k| at(k * count / 20))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let volume_id = match first {
        Some(id) => store.read(|c| jobs::get(c, id))?.map(|r| r.job.volume_id),
        None => None,
    };
    Ok(Seeded {
        jobs: count,
        job_id: first,
        volume_id,
        samples,
    })
}

/// The job created exactly at `at` (seeded jobs have distinct creation times).
fn job_created_at(store: &Store, at: DateTime<Utc>) -> Result<Option<Uuid>, PersistenceError> {
    let filter = JobFilter {
        created_after: Some(at),
        created_before: Some(at + Duration::milliseconds(1)),
        ..JobFilter::default()
    };
    let page = store.read(|c| jobs::list(c, &filter, 1, None))?;
    Ok(page.items.first().map(|r| r.job.id))
}

/// The cursor that continues `GET /jobs` after the `depth`-th newest job of a history seeded
/// with `newest` and `spacing` (0 is the newest), or `None` beyond it.
pub fn cursor_after(
    store: &Store,
    newest: DateTime<Utc>,
    spacing: Duration,
    depth: usize,
) -> Result<Option<String>, PersistenceError> {
    let Ok(i) = i32::try_from(depth) else {
        return Ok(None);
    };
    let at = newest - spacing * i;
    // A page of one that ends with that job; a filtered page's cursor carries only the
    // position, so it continues the unfiltered list from there.
    let filter = JobFilter {
        created_before: Some(at + Duration::milliseconds(1)),
        ..JobFilter::default()
    };
    let page = store.read(|c| jobs::list(c, &filter, 1, None))?;
    Ok(page.next_cursor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;
    use chrono::DurationRound;

    #[test]
    fn a_seeded_store_lists_every_job_and_the_deep_cursor_continues_after_its_depth() {
        let dir = tempfile::tempdir().unwrap();
        let vols = crate::sim::write_state(&dir.path().join("sim.json"), 3, 1, 60.0).unwrap();
        let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
        let store = Store::open(&url, 2).unwrap();
        let newest = Utc::now().duration_trunc(Duration::seconds(1)).unwrap();
        let spacing = Duration::seconds(10);
        let cluster_id = scheduler::ClusterContext::id_for("bench");
        let inv = crate::sim::inventory(&dir.path().join("sim.json"), cluster_id).unwrap();
        let plan = Plan {
            count: 45,
            newest,
            spacing,
            threads: 1,
        };
        let seeded = seed(&store, "bench", &inv, &vols, plan).unwrap();
        let listed = store.read(|c| volumes::list(c, None)).unwrap();
        assert_eq!(listed.len(), 4 + 3);
        assert_eq!(seeded.jobs, 45);
        assert_eq!(seeded.samples.len(), 20);

        let all = store
            .read(|c| jobs::list(c, &JobFilter::default(), 500, None))
            .unwrap();
        assert_eq!(all.items.len(), 45);
        assert_eq!(Some(all.items[0].job.id), seeded.job_id);
        assert_eq!(Some(all.items[0].job.volume_id), seeded.volume_id);
        for r in &all.items {
            let vol = vols.iter().find(|v| v.id == r.job.volume_id).unwrap();
            assert_eq!(
                r.nodes.len(),
                vol.peers.len(),
                "a row per node of {}",
                vol.name
            );
            assert!(r.job.status.is_terminal() && r.steps.len() >= 2);
        }

        let cursor = cursor_after(&store, newest, spacing, 30).unwrap().unwrap();
        let next = store
            .read(|c| jobs::list(c, &JobFilter::default(), 5, Some(&cursor)))
            .unwrap();
        assert_eq!(next.items[0].job.id, all.items[31].job.id);
        assert_eq!(cursor_after(&store, newest, spacing, 44).unwrap(), None);
    }
}
