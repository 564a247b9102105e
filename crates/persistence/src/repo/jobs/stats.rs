//! Counts over every job, for the service's metrics.

use crate::schema::jobs;
use crate::{DbConnection, PersistenceError};
use diesel::dsl::count_star;
use diesel::prelude::*;
use domain::{JobStatus, TaskKind};

/// How many jobs there are of each kind in each state (pairs with none are left out). One
/// query, answered from the `jobs_by_kind_status` index alone.
pub fn counts(
    conn: &mut DbConnection,
) -> Result<Vec<(TaskKind, JobStatus, i64)>, PersistenceError> {
    let rows: Vec<(String, String, i64)> = jobs::table
        .group_by((jobs::kind, jobs::status))
        .select((jobs::kind, jobs::status, count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(kind, status, n)| {
            let kind = TaskKind::parse(&kind)
                .ok_or_else(|| PersistenceError::Corrupt(format!("job kind {kind:?}")))?;
            let status = JobStatus::parse(&status)
                .ok_or_else(|| PersistenceError::Corrupt(format!("job status {status:?}")))?;
            Ok((kind, status, n))
        })
        .collect()
}
