//! The inventory commands: `pool list`, `peer status`, `volume info` and `volume heal … info`.

use crate::commands::{ok, peer_name, refused_op};
use crate::state::{SimPeer, SimState, SimVolume};
use crate::xml::{esc, Doc};
use crate::Reply;

/// The volume called `name`.
pub(crate) fn find<'a>(st: &'a SimState, name: &str) -> Option<&'a SimVolume> {
    st.volumes.iter().find(|v| v.name == name)
}

/// `pool list` (`include_local`) or `peer status`, answered by node `local`.
pub(crate) fn peer_list(st: &SimState, local: usize, include_local: bool) -> String {
    let mut d = Doc::cli_output(0, 0, "");
    d.open("peerStatus");
    // `pool list` prints the other peers first and the local node last, as `localhost`.
    let order: Vec<usize> = (0..st.peers.len())
        .filter(|i| *i != local)
        .chain(include_local.then_some(local))
        .collect();
    for i in order {
        let p: &SimPeer = &st.peers[i];
        d.open("peer");
        d.leaf("uuid", &p.uuid.to_string());
        d.leaf("hostname", &peer_name(st, local, i));
        if i != local {
            d.open("hostnames");
            d.leaf("hostname", &p.hostname);
            d.close("hostnames");
        }
        d.leaf("connected", if p.up { "1" } else { "0" });
        if i != local {
            d.leaf("state", "3");
            d.leaf("stateStr", "Peer in Cluster");
        }
        d.close("peer");
    }
    d.close("peerStatus");
    d.finish()
}

/// `volume info [VOL]`.
pub(crate) fn volume_info(st: &SimState, only: Option<&str>) -> String {
    let vols: Vec<&SimVolume> = st
        .volumes
        .iter()
        .filter(|v| only.is_none_or(|n| v.name == n))
        .collect();
    let mut d = Doc::cli_output(0, 0, "");
    d.open("volInfo").open("volumes");
    for v in &vols {
        d.open("volume");
        d.leaf("name", &v.name);
        d.leaf("id", &v.id.to_string());
        let status = match v.status_str.as_str() {
            "Created" => 0,
            "Started" => 1,
            _ => 2,
        };
        d.leaf("status", &status.to_string());
        d.leaf("statusStr", &v.status_str);
        d.leaf("snapshotCount", "0");
        d.leaf("brickCount", &v.bricks.len().to_string());
        // Since gluster 8, distCount is the number of distribute subvolumes.
        d.leaf(
            "distCount",
            &(v.bricks.len() / v.replica.max(1)).to_string(),
        );
        d.leaf("replicaCount", &v.replica.to_string());
        d.leaf("arbiterCount", "0");
        d.leaf("disperseCount", "0");
        d.leaf("redundancyCount", "0");
        let type_code = match v.type_str.as_str() {
            "Distribute" => 0,
            "Replicate" => 2,
            "Disperse" => 4,
            "Distributed-Replicate" => 5,
            _ => 7,
        };
        d.leaf("type", &type_code.to_string());
        d.leaf("typeStr", &v.type_str);
        d.leaf("transport", "0");
        d.open("bricks");
        for (b, name) in v.bricks.iter().zip(v.brick_names(&st.peers)) {
            let host_uuid = st.peers.get(b.peer).map(|p| p.uuid).unwrap_or_default();
            d.raw(&format!(
                "<brick uuid=\"{host_uuid}\">{n}<name>{n}</name><hostUuid>{host_uuid}</hostUuid><isArbiter>0</isArbiter></brick>",
                n = esc(&name)
            ));
        }
        d.close("bricks");
        let options = [
            ("storage.fips-mode-rchecksum", "on"),
            ("transport.address-family", "inet"),
            ("nfs.disable", "on"),
        ];
        d.leaf("optCount", &options.len().to_string());
        d.open("options");
        for (name, value) in options {
            d.open("option");
            d.leaf("name", name);
            d.leaf("value", value);
            d.close("option");
        }
        d.close("options");
        d.close("volume");
    }
    d.leaf("count", &vols.len().to_string());
    d.close("volumes").close("volInfo");
    d.finish()
}

/// `volume heal VOL info`: `<healInfo>` comes before `opRet`; a volume without replicas is
/// refused with errno 22 and exit code 234, as gluster does.
pub(crate) fn heal_info(st: &SimState, name: &str) -> Reply {
    let Some(v) = find(st, name) else {
        return refused_op("volHeal", &format!("Volume {name} does not exist"), 234);
    };
    if v.replica <= 1 {
        let message = format!("This command is supported for only volumes of replicate/disperse type. Volume {name} is not of type replicate/disperse");
        return Reply {
            stdout: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks/>\n  </healInfo>\n  <opRet>-1</opRet>\n  <opErrno>22</opErrno>\n  <opErrstr>{}</opErrstr>\n</cliOutput>\n",
                crate::xml::esc(&message)
            ),
            stderr: String::new(),
            code: 234,
        };
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks>\n");
    for (b, n) in v.bricks.iter().zip(v.brick_names(&st.peers)) {
        let uuid = st.peers.get(b.peer).map(|p| p.uuid).unwrap_or_default();
        out.push_str(&format!(
            "      <brick hostUuid=\"{uuid}\">\n        <name>{}</name>\n        <status>Connected</status>\n        <numberOfEntries>{}</numberOfEntries>\n      </brick>\n",
            crate::xml::esc(&n),
            v.pending_heals
        ));
    }
    out.push_str("    </bricks>\n  </healInfo>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n");
    ok(out)
}

/// `volume info VOL` of a volume that does not exist (errno 30806, no name in the message).
pub(crate) fn volume_info_missing() -> String {
    let mut d = Doc::cli_output(-1, 30806, "Volume does not exist");
    d.open("volInfo").open("volumes");
    d.leaf("count", "0");
    d.close("volumes").close("volInfo");
    d.finish()
}
