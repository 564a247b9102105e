//! Settings: defaults, file, environment, validation.

use super::*;

#[test]
fn a_routable_bind_needs_tokens() {
    let mut s = Settings {
        bind: "0.0.0.0:8080".into(),
        ..Settings::default()
    };
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("without access tokens"), "{e}");
    s.apply_env([(
        "GLUSTER_TASKS_TOKENS".to_owned(),
        format!(
            r#"[{{"name": "ci", "role": "operator", "sha256": "{}"}}]"#,
            crate::auth::hash_token("t")
        ),
    )])
    .unwrap();
    s.validate().unwrap();
    assert_eq!(s.tokens().unwrap().check("t").unwrap().name, "ci");
}

#[test]
fn job_retention_is_in_days_and_must_be_positive() {
    let mut s = Settings::default();
    assert_eq!(
        s.poll_settings().job_retention,
        Duration::from_secs(30 * 86_400)
    );
    s.apply_env([(
        "GLUSTER_TASKS_POLL_JOB_RETENTION_DAYS".to_owned(),
        "0.5".to_owned(),
    )])
    .unwrap();
    assert_eq!(s.poll_settings().job_retention, Duration::from_secs(43_200));
    let e = s
        .apply_env([(
            "GLUSTER_TASKS_POLL_JOB_RETENTION_DAYS".to_owned(),
            "0".to_owned(),
        )])
        .unwrap_err();
    assert!(e.to_string().contains("days"), "{e}");
    s.poll.job_retention_days = 1e300;
    assert!(s.validate().is_err(), "absurd retention is refused");
    s.poll.job_retention_days = 30.0;
    s.poll.idle_interval_secs = 1e300;
    assert!(s.validate().is_err(), "absurd interval is refused");
}

#[test]
fn file_then_env_override_defaults() {
    let mut s: Settings = toml::from_str(
        r#"
        bind = "0.0.0.0:9000"
        [poll]
        active_interval_secs = 1
        [[clusters]]
        name = "prod"
        [[clusters.hosts]]
        address = "gl1"
        [[clusters.hosts]]
        address = "gl2"
        command = ["ssh", "root@gl2", "gluster"]
        "#,
    )
    .unwrap();
    assert_eq!(s.clusters[0].hosts[0].command, vec!["gluster"]);
    assert_eq!(s.poll.idle_interval_secs, 10.0);
    s.apply_env([
        ("GLUSTER_TASKS_BIND".to_owned(), "127.0.0.1:1".to_owned()),
        (
            "GLUSTER_TASKS_POLL_IDLE_INTERVAL_SECS".to_owned(),
            "3".to_owned(),
        ),
        ("OTHER".to_owned(), "x".to_owned()),
    ])
    .unwrap();
    assert_eq!(s.bind, "127.0.0.1:1");
    assert_eq!(s.poll.idle_interval_secs, 3.0);
    s.validate().unwrap();
    s.apply_env([
        (
            "GLUSTER_TASKS_POLL_VANISH_GRACE_SECS".to_owned(),
            "0".to_owned(),
        ),
        (
            "GLUSTER_TASKS_POLL_VANISH_MISSES".to_owned(),
            "5".to_owned(),
        ),
    ])
    .unwrap();
    let p = s.poll_settings();
    assert_eq!((p.vanish_grace, p.vanish_misses), (Duration::ZERO, 5));
    s.apply_env([("DATABASE_URL".to_owned(), "postgres://db/x".to_owned())])
        .unwrap();
    assert_eq!(s.database_url, "postgres://db/x");
    s.apply_env([
        (
            "GLUSTER_TASKS_DATABASE_URL".to_owned(),
            "sqlite:a.db".to_owned(),
        ),
        ("DATABASE_URL".to_owned(), "postgres://db/x".to_owned()),
    ])
    .unwrap();
    assert_eq!(s.database_url, "sqlite:a.db", "our own variable wins");
    s.validate().unwrap();
}

#[test]
fn bad_settings_are_refused() {
    assert!(toml::from_str::<Settings>("bnd = 1").is_err());
    let mut s = Settings::default();
    assert!(s
        .apply_env([(
            "GLUSTER_TASKS_POLL_ACTIVE_INTERVAL_SECS".into(),
            "-1".into()
        )])
        .is_err());
    s.clusters.push(ClusterSettings {
        name: "a".into(),
        hosts: vec![],
    });
    assert!(s.validate().is_err());
}

#[test]
fn the_readme_configuration_parses() {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("README has a Configuration section");
    let block = section
        .split("```toml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("with a TOML block");
    let s: Settings = toml::from_str(block).unwrap();
    assert_eq!(s.http, crate::limits::HttpSettings::default());
    assert_eq!(s.poll, PollFile::default());
    s.http.validate().unwrap();
}
