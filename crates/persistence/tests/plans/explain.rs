//! Reading query plans: SQLite's `EXPLAIN QUERY PLAN` and PostgreSQL's `EXPLAIN` of the
//! generic plan, and the assertions the plan tests make on them.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use persistence::{Backend, DbConnection, Store};

/// How the expected index may be read.
#[derive(Clone, Copy, PartialEq)]
pub enum Access {
    /// A seek to a key or range (SQLite `SEARCH`).
    Seek,
    /// The index read in order from one end, stopped by `LIMIT` (a first page with no filter).
    Ordered,
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The highest `$N` placeholder in PostgreSQL SQL text.
fn pg_params(sql: &str) -> usize {
    let mut max = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        max = max.max(digits.parse().unwrap_or(0));
    }
    max
}

/// The plan of `sql`, one line per node.
fn plan(store: &Store, sql: &str) -> Vec<String> {
    store
        .read(|c| {
            Ok(match c {
                DbConnection::Sqlite(s) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .load::<SqlitePlanLine>(s)?
                    .into_iter()
                    .map(|l| l.detail)
                    .collect(),
                DbConnection::Pg(p) => {
                    // The generic plan, the one a prepared statement with any binds may get.
                    p.batch_execute(&format!(
                        "SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; \
                         PREPARE plan_q AS {sql}"
                    ))?;
                    let nulls = vec!["NULL"; pg_params(sql)].join(", ");
                    let explain = if nulls.is_empty() {
                        "EXPLAIN EXECUTE plan_q".to_owned()
                    } else {
                        format!("EXPLAIN EXECUTE plan_q({nulls})")
                    };
                    let lines = diesel::sql_query(explain).load::<PgPlanLine>(p)?;
                    p.batch_execute(
                        "DEALLOCATE plan_q; RESET enable_seqscan; RESET plan_cache_mode",
                    )?;
                    lines.into_iter().map(|l| l.line).collect()
                }
            })
        })
        .unwrap()
}

/// The recorded statement that reads `table` (the first one naming it after FROM).
pub fn reading<'a>(sqls: &'a [String], table: &str) -> &'a str {
    let sqlite = format!("FROM `{table}`");
    let pg = format!("FROM \"{table}\"");
    sqls.iter()
        .find(|s| s.contains(&sqlite) || s.contains(&pg))
        .unwrap_or_else(|| panic!("no statement reads {table}: {sqls:#?}"))
}

/// Asserts that `sql`'s plan reads `index` as `access` says, never scans a table and never
/// sorts.
pub fn assert_plan(store: &Store, sql: &str, index: &str, access: Access) {
    assert_plan_any(store, sql, &[index], access);
}

/// [`assert_plan`] where any of `indexes` will do (the planners may differ on which of two
/// seeks is cheaper).
pub fn assert_plan_any(store: &Store, sql: &str, indexes: &[&str], access: Access) {
    let lines = plan(store, sql);
    let text = lines.join("\n");
    match store.backend() {
        Backend::Sqlite => {
            let on_index = |l: &&String| {
                indexes.iter().any(|index| {
                    l.contains(&format!("USING INDEX {index}"))
                        || l.contains(&format!("USING COVERING INDEX {index}"))
                })
            };
            let found = lines.iter().filter(on_index).any(|l| {
                l.starts_with("SEARCH") || (access == Access::Ordered && l.starts_with("SCAN"))
            });
            assert!(
                found,
                "{indexes:?} not used as expected by\n{sql}\nplan:\n{text}"
            );
            assert!(
                !lines
                    .iter()
                    .any(|l| l.starts_with("SCAN") && !l.contains("INDEX")),
                "a table scan in\n{sql}\nplan:\n{text}"
            );
            assert!(
                !text.contains("USE TEMP B-TREE"),
                "a sort in\n{sql}\nplan:\n{text}"
            );
        }
        Backend::Postgres => {
            let found = indexes.iter().any(|index| {
                [
                    format!("Index Scan using {index} "),
                    format!("Index Scan Backward using {index} "),
                    format!("Index Only Scan using {index} "),
                    format!("Index Only Scan Backward using {index} "),
                    format!("Bitmap Index Scan on {index}"),
                ]
                .iter()
                .any(|n| text.contains(n.as_str()))
            });
            assert!(found, "{indexes:?} not used by\n{sql}\nplan:\n{text}");
            assert!(
                !text.contains("Seq Scan"),
                "a table scan in\n{sql}\nplan:\n{text}"
            );
            assert!(
                !lines.iter().any(|l| {
                    let node = l.trim_start().trim_start_matches("->").trim_start();
                    node.starts_with("Sort") || node.starts_with("Incremental Sort")
                }),
                "a sort in\n{sql}\nplan:\n{text}"
            );
        }
    }
}
