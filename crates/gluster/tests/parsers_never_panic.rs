//! Property tests: every parser turns any input — arbitrary bytes, truncated or mangled real
//! captures — into a value or an error, never a panic. Bounded case counts keep CI fast.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use gluster::parse;
use proptest::prelude::*;

fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut out = Vec::new();
    for sub in ["gluster-10.3", "gluster-older"] {
        for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "xml" || e == "out") {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// Runs every parser on `input`; they may fail, they must not panic.
fn all_parsers(input: &str) {
    let _ = parse::peers(input);
    let _ = parse::volume_info(input);
    let _ = parse::status_tasks(input);
    let _ = parse::rebalance_started(input);
    let _ = parse::rebalance_report(input);
    let _ = parse::remove_brick_report(input);
    let _ = parse::remove_brick_done(input);
    let _ = parse::heal_info(input);
    let _ = gluster::volume_usage(input);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_xml_like_text(s in "(<[a-zA-Z/]{0,12}>|[0-9-]{0,6}|[a-z ]{0,8}){0,40}") {
        all_parsers(&s);
    }

    #[test]
    fn truncated_real_captures(idx in 0usize..1000, cut in 0usize..4000) {
        let all = fixtures();
        let doc = &all[idx % all.len()];
        let mut end = cut.min(doc.len());
        while !doc.is_char_boundary(end) {
            end -= 1;
        }
        all_parsers(&doc[..end]);
    }

    #[test]
    fn mangled_real_captures(idx in 0usize..1000, at in 0usize..4000, junk in "[-0-9a-z<>/ ]{1,12}") {
        let all = fixtures();
        let doc = &all[idx % all.len()];
        let mut pos = at.min(doc.len());
        while !doc.is_char_boundary(pos) {
            pos -= 1;
        }
        let mangled = format!("{}{junk}{}", &doc[..pos], &doc[pos..]);
        all_parsers(&mangled);
    }
}

#[test]
fn out_of_range_numbers_and_unknown_codes_are_errors() {
    let huge = "<cliOutput><opRet>0</opRet><volRebalance><node><nodeName>a</nodeName><id>883626f8-4d29-4d02-8c5d-c9f48c5b2445</id><files>99999999999999999999999</files><size>1</size><lookups>1</lookups><failures>0</failures><status>1</status></node></volRebalance></cliOutput>";
    assert!(parse::rebalance_report(huge).is_err());
    let nan = huge.replace(
        "<files>99999999999999999999999</files>",
        "<files>1</files><runtime>NaN</runtime>",
    );
    assert!(parse::rebalance_report(&nan).is_err());
}
