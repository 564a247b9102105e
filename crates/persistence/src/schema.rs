//! The diesel schema, with types portable between SQLite and PostgreSQL.
// @generated-style, kept by hand: UUIDs are Text, times are UTC Timestamps.

diesel::table! {
    clusters (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        last_poll_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        inventory_at -> Nullable<Timestamp>,
        active_host -> Nullable<Text>,
        failed_polls -> Integer,
    }
}

diesel::table! {
    peers (cluster_id, id) {
        cluster_id -> Text,
        id -> Text,
        hostname -> Text,
        connected -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    volumes (id) {
        id -> Text,
        cluster_id -> Text,
        name -> Text,
        vol_type -> Text,
        status -> Text,
        brick_count -> Integer,
        distribute_count -> Integer,
        replica_count -> Integer,
        arbiter_count -> Integer,
        disperse_count -> Integer,
        redundancy_count -> Integer,
        refreshed_at -> Timestamp,
    }
}

diesel::table! {
    bricks (id) {
        id -> Text,
        volume_id -> Text,
        position -> Integer,
        name -> Text,
        peer_id -> Nullable<Text>,
        is_arbiter -> Bool,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        status -> Text,
        origin -> Text,
        cluster_id -> Text,
        volume_id -> Text,
        volume_name -> Text,
        gluster_task_id -> Nullable<Text>,
        params -> Text,
        task_status -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        polled_at -> Nullable<Timestamp>,
        stale_since -> Nullable<Timestamp>,
        request_id -> Nullable<Text>,
        initiator -> Nullable<Text>,
        held_for -> Nullable<Text>,
        miss_count -> Integer,
        missing_since -> Nullable<Timestamp>,
        progressed_at -> Nullable<Timestamp>,
        stalled_since -> Nullable<Timestamp>,
        needs_stop -> Bool,
        change_seq -> BigInt,
        progress_percent -> Nullable<Double>,
        progress_eta -> Nullable<Timestamp>,
        progress_rate -> Nullable<Double>,
        progress_basis -> Nullable<Text>,
        progress_note -> Nullable<Text>,
    }
}

diesel::table! {
    /// The sizing columns of `jobs` (how its task was sized at its start), declared apart
    /// because diesel's tables hold at most 32 columns: the same SQL table as [`jobs`], which
    /// leaves these columns out.
    #[sql_name = "jobs"]
    job_sizing (id) {
        id -> Text,
        sized_at -> Nullable<Timestamp>,
        work_basis -> Nullable<Text>,
        work_note -> Nullable<Text>,
    }
}

diesel::table! {
    job_steps (id) {
        id -> Text,
        job_id -> Text,
        parent_id -> Nullable<Text>,
        position -> Integer,
        kind -> Text,
        status -> Text,
        description -> Text,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_nodes (job_id, peer_id) {
        job_id -> Text,
        peer_id -> Text,
        name -> Text,
        files -> BigInt,
        size_bytes -> BigInt,
        scanned -> BigInt,
        failures -> BigInt,
        skipped -> BigInt,
        status -> Text,
        runtime_secs -> Double,
        updated_at -> Timestamp,
        work_total -> Nullable<BigInt>,
        work_done -> BigInt,
        percent -> Nullable<Double>,
        rate -> Nullable<Double>,
        estimated_end_at -> Nullable<Timestamp>,
        progressed_at -> Nullable<Timestamp>,
        stalled_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_work (job_id, peer_id) {
        job_id -> Text,
        peer_id -> Text,
        basis -> Text,
        total -> BigInt,
    }
}

diesel::table! {
    job_samples (id) {
        id -> BigInt,
        job_id -> Text,
        at -> Timestamp,
        peer_id -> Text,
        done -> BigInt,
        files -> BigInt,
        size_bytes -> BigInt,
        scanned -> BigInt,
        failures -> BigInt,
        runtime_secs -> Double,
    }
}

diesel::table! {
    job_timeline (id) {
        id -> BigInt,
        job_id -> Text,
        at -> Timestamp,
        kind -> Text,
        actor -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        node -> Nullable<Text>,
        message -> Nullable<Text>,
        change_seq -> BigInt,
    }
}

diesel::table! {
    cluster_leases (cluster_id) {
        cluster_id -> Text,
        owner -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    replicas (id) {
        id -> Text,
        started_at -> Timestamp,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (key) {
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    purged_tasks (gluster_task_id) {
        gluster_task_id -> Text,
        cluster_id -> Text,
        volume_id -> Text,
        purged_at -> Timestamp,
    }
}

diesel::table! {
    change_counter (id) {
        id -> Integer,
        seq -> BigInt,
        deletions -> BigInt,
    }
}

diesel::joinable!(peers -> clusters (cluster_id));
diesel::joinable!(volumes -> clusters (cluster_id));
diesel::joinable!(bricks -> volumes (volume_id));
diesel::joinable!(job_steps -> jobs (job_id));
diesel::joinable!(job_nodes -> jobs (job_id));
diesel::joinable!(job_work -> jobs (job_id));
diesel::joinable!(job_samples -> jobs (job_id));
diesel::joinable!(job_timeline -> jobs (job_id));

diesel::allow_tables_to_appear_in_same_query!(
    clusters,
    peers,
    volumes,
    bricks,
    jobs,
    job_steps,
    job_nodes,
    job_work,
    job_samples,
    job_timeline,
    cluster_leases,
    replicas,
    idempotency_keys,
    purged_tasks,
    change_counter
);
