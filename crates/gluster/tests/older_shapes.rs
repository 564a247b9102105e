//! The parsers tolerate the XML of GlusterFS 3.4 – 3.12 (public captures, see each file's
//! second line for its source and caveats).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::{TaskKind, TaskStatus, VolumeStatus, VolumeType};
use gluster::{parse, DriverError, ParseError};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/gluster-older/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn rebalance_status_of_3_4_with_runtime_first() {
    let r = parse::rebalance_report(&fixture("03a_rebalance_status_VERBATIM_vdsm_fixture.xml"))
        .unwrap();
    assert_eq!(
        r.task_id.unwrap().to_string(),
        "cffd9543-55dc-46ba-a0ac-825aba103948"
    );
    assert_eq!(r.status, TaskStatus::Completed);
    assert_eq!(r.nodes.len(), 1);
    let n = &r.nodes[0];
    assert_eq!(n.name, "localhost");
    assert_eq!(
        (n.files, n.size_bytes, n.scanned, n.failures, n.skipped),
        (78, 79872, 278, 0, 0)
    );
    assert_eq!(n.runtime_secs, 10.2);
}

#[test]
fn remove_brick_status_without_task_id() {
    let r = parse::remove_brick_report(&fixture(
        "05a_remove_brick_status_VERBATIM_vdsm_fixture.xml",
    ))
    .unwrap();
    assert_eq!(r.task_id, None);
    assert_eq!(r.status, TaskStatus::Completed);
    assert_eq!(r.nodes[0].files, 78);
}

#[test]
fn status_all_tasks_with_null_errstr_and_both_task_kinds() {
    let vols = parse::status_tasks(&fixture(
        "09a_volume_status_all_tasks_VERBATIM_vdsm_fixture.xml",
    ))
    .unwrap();
    assert_eq!(
        vols.iter().map(|v| v.volume.as_str()).collect::<Vec<_>>(),
        ["gv1", "gv2", "gv3"]
    );
    let gv1 = &vols[0].tasks;
    assert_eq!(gv1.len(), 2);
    assert_eq!(gv1[0].kind, TaskKind::RemoveBrick);
    assert_eq!(gv1[0].bricks, ["bricknode1:/gfs/b3"]);
    assert_eq!(gv1[1].kind, TaskKind::Rebalance);
    // Status comes from the code, never from the (hand-edited, contradicting) statusStr.
    assert_eq!(gv1[0].status, TaskStatus::InProgress);
    assert!(vols[2].tasks.is_empty());
}

#[test]
fn status_of_one_volume_with_empty_tasks_in_older_shapes() {
    for f in [
        "09c_volume_status_vol_empty_tasks_TEMPLATED_puppet_gluster.xml",
        "09d_volume_status_vol_empty_tasks_TRIMMED_salt.xml",
    ] {
        let vols = parse::status_tasks(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!vols.is_empty(), "{f}");
        assert!(vols.iter().all(|v| v.tasks.is_empty()), "{f}");
    }
}

#[test]
fn volume_info_of_every_older_type() {
    let v = parse::volume_info(&fixture(
        "10a_volume_info_replicate_1x4_VERBATIM_gluster_exporter.xml",
    ))
    .unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].vol_type, VolumeType::Replicate);
    assert_eq!(
        (
            v[0].layout.brick_count,
            v[0].layout.replica_count,
            v[0].layout.distribute_count
        ),
        (4, 4, 1)
    );
    assert_eq!(
        v[0].bricks[0].name,
        "host1.example.local:/mnt/gluster/gv_cluster"
    );

    let v = parse::volume_info(&fixture(
        "10b_volume_info_distributed_replicate_8x3_VERBATIM_gluster_rs.xml",
    ))
    .unwrap();
    assert_eq!(v[0].vol_type, VolumeType::DistributedReplicate);
    assert_eq!(
        (v[0].layout.brick_count, v[0].layout.distribute_count),
        (24, 8)
    );
    assert_eq!(v[0].bricks.len(), 24);
    assert!(v[0].bricks.iter().all(|b| b.peer_id.is_some()));

    let v = parse::volume_info(&fixture(
        "10c_volume_info_distribute_and_distrep_2x2_VERBATIM_kismatic.xml",
    ))
    .unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].vol_type, VolumeType::Distribute);
    assert_eq!(v[0].status, VolumeStatus::Started);
    assert_eq!(v[0].layout.distribute_count, 1);

    let v = parse::volume_info(&fixture(
        "10d_volume_info_disperse_3brick_TEMPLATED_puppet_gluster.xml",
    ))
    .unwrap();
    assert_eq!(v[0].vol_type, VolumeType::Disperse);
    assert_eq!(
        (v[0].layout.disperse_count, v[0].layout.distribute_count),
        (3, 1)
    );
}

#[test]
fn refusals_carry_gluster_message_and_errno() {
    match parse::volume_info(&fixture(
        "11a_error_volquota_volume_missing_VERBATIM_kismatic.xml",
    )) {
        Err(DriverError::Gluster { errno, message }) => {
            assert_eq!(
                (errno, message.as_str()),
                (30800, "Volume storage01 does not exist")
            );
        }
        other => panic!("{other:?}"),
    }
    match parse::status_tasks(&fixture("11b_error_volset_opversion_VERBATIM_salt.xml")) {
        Err(DriverError::Gluster { message, .. }) => {
            assert!(message.starts_with("Required op-version"))
        }
        other => panic!("{other:?}"),
    }
    match parse::peers(&fixture(
        "11c_error_peer_probe_v34_and_v37_VERBATIM_salt.xml",
    )) {
        Err(DriverError::Gluster { errno: 107, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn output_element_is_the_message_when_errstr_is_empty() {
    let xml = "<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr/><cliOp>volRebalance</cliOp><output>volume rebalance: dist: failed: oops</output></cliOutput>";
    match parse::rebalance_report(xml) {
        Err(DriverError::Gluster { message, .. }) => {
            assert_eq!(message, "volume rebalance: dist: failed: oops")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_and_shape_errors_are_errors_not_panics() {
    assert!(matches!(
        parse::status_tasks("Connection failed."),
        Err(DriverError::Parse(ParseError::NotXml(_)))
    ));
    assert!(matches!(
        parse::status_tasks("<cliOutput><opRet>0</opRet"),
        Err(DriverError::Parse(ParseError::NotXml(_)))
    ));
    assert!(matches!(
        parse::status_tasks("<html/>"),
        Err(DriverError::Parse(ParseError::UnexpectedRoot(_)))
    ));
    assert!(matches!(
        parse::rebalance_report("<cliOutput><opRet>0</opRet></cliOutput>"),
        Err(DriverError::Parse(ParseError::Missing("volRebalance")))
    ));
    let unknown = "<cliOutput><opRet>0</opRet><volRebalance><node><nodeName>a</nodeName><id>883626f8-4d29-4d02-8c5d-c9f48c5b2445</id><files>1</files><size>1</size><lookups>1</lookups><failures>0</failures><status>42</status></node></volRebalance></cliOutput>";
    assert!(matches!(
        parse::rebalance_report(unknown),
        Err(DriverError::Parse(ParseError::UnknownStatus(42)))
    ));
}

#[test]
fn status_all_detail_of_3_8_has_sizes_but_no_inodes() {
    let vols = gluster::volume_usage(&fixture(
        "10x_volume_status_all_detail_VERBATIM_gluster_exporter.xml",
    ))
    .unwrap();
    assert_eq!(
        vols.iter().map(|v| v.volume.as_str()).collect::<Vec<_>>(),
        ["gv_test", "gv_test2"]
    );
    for v in &vols {
        assert_eq!(
            v.bricks
                .iter()
                .map(|b| b.brick.as_str())
                .collect::<Vec<_>>(),
            (1..=4)
                .map(|i| format!("node{i}.example.local:/mnt/gluster/{}", v.volume))
                .collect::<Vec<_>>()
        );
        assert!(v.bricks.iter().all(|b| b.online));
        assert!(v.bricks.iter().all(|b| b.inodes_total.is_none()));
        assert!(v.bricks.iter().all(|b| b.used_inodes().is_none()));
        assert!(v
            .bricks
            .iter()
            .all(|b| b.fs_name.as_deref() == Some("ext4")));
    }
    let b = &vols[0].bricks[0];
    assert_eq!(
        b.peer_id.to_string(),
        "a049c424-bd82-4436-abd4-ef3fc37c76ba"
    );
    assert_eq!((b.size_total, b.size_free), (20507914240, 19517558784));
    assert_eq!(b.used_bytes(), 990355456);
    assert_eq!(b.device.as_deref(), Some("/dev/loop0"));
    assert_eq!(b.block_size, Some(4096));
    assert_eq!(vols[1].bricks[3].size_free, 19517566976);
}
