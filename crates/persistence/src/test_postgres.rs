//! Where this workspace's test suites find a PostgreSQL server for the PostgreSQL half of their
//! tests, and what they do without one.

use diesel::{Connection, PgConnection};
use std::io::Write;
use std::sync::OnceLock;

/// The variable naming the server's admin URL.
pub const URL_VAR: &str = "GLUSTER_TASKS_TEST_POSTGRES";
/// The variable that, set to `1`, makes a missing server a failure (CI sets it).
pub const REQUIRE_VAR: &str = "GLUSTER_TASKS_REQUIRE_POSTGRES";
/// The server used when [`URL_VAR`] is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The admin URL of the test server, if one answers: `Ok(None)` means "skip the PostgreSQL
/// tests" (one line on standard error says so and how to enable them), `Err` that a server is
/// required ([`REQUIRE_VAR`]) and does not answer. Asked once per process.
pub fn admin_url() -> Result<Option<String>, String> {
    static ANSWER: OnceLock<Result<Option<String>, String>> = OnceLock::new();
    ANSWER
        .get_or_init(|| {
            let url = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
            let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
            match PgConnection::establish(&url) {
                Ok(_) => Ok(Some(url)),
                Err(e) if required => Err(format!(
                    "PostgreSQL at {url} does not answer ({e}), and {REQUIRE_VAR}=1 requires it"
                )),
                Err(e) => {
                    // Straight to the process's standard error: the test harness captures
                    // eprintln! of passing tests, and this line must be seen.
                    let why = e.to_string();
                    let why = why.lines().next().unwrap_or_default();
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipping the PostgreSQL tests: no server at {url} ({why}). Start one or set {URL_VAR}; {REQUIRE_VAR}=1 makes this a failure."
                    );
                    Ok(None)
                }
            }
        })
        .clone()
}
