//! What a gluster refusal means, classified once from `opErrno` and `opErrstr`.
//!
//! Gluster answers most refusals with the generic `opErrno` 30800 (`EG_INTRNL`) or 0 and says
//! what went wrong only in its text. [`Refusal::classify`] reads the errno first where gluster's
//! errno is specific (`glusterd-errno.h`), then the text, case-insensitively, so that the layers
//! above match on [`Refusal`] and never on gluster's wording.
//!
//! The texts are those of the GlusterFS 10.3 captures under `tests/fixtures/gluster-10.3/` and
//! the messages of glusterd's staging code (`glusterd-rebalance.c`, `glusterd-brick-ops.c`,
//! `glusterd-mgmt.c`, `glusterd-syncop.c`) that the same commands can produce.

use crate::EG_ANOTRANS;

/// `EG_NODEDWN`: one or more nodes are down.
const EG_NODEDWN: i64 = 30804;
/// `EG_NOVOL`: the volume does not exist.
const EG_NOVOL: i64 = 30806;
/// `EG_RBALRUN`: a rebalance is running.
const EG_RBALRUN: i64 = 30808;
/// `EG_VOLSTP`: the volume is not running.
const EG_VOLSTP: i64 = 30810;
/// `EINVAL`, which glusterd uses for a request it cannot serve (e.g. heal info of a
/// distribute volume).
const EINVAL: i64 = 22;

/// Why gluster refused a command (`opRet` ≠ 0). Each variant quotes the texts it stands for;
/// `VOL`, `HOST` and `BRICK` stand for the names gluster puts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Another command holds glusterd's cluster or volume lock, so this one was not run:
    /// opErrno 30802 (`EG_ANOTRANS`), "Another transaction is in progress for VOL. Please try
    /// again after some time.", "Another transaction could be in progress. Please try again
    /// after some time.", "Locking failed on HOST. …" (but not "Unlocking failed on HOST").
    LockHeld,
    /// A task's daemon (the rebalance process of some node) did not answer glusterd's brick op:
    /// "Brick ops failed on HOST. Glusterd Syncop Mgmt brick op 'Rebalance' failed. Please check
    /// brick log file for details." A moment later the same status or stop answers.
    TaskDaemonBusy,
    /// `remove-brick … commit` while the data migration still runs: "use 'force' option as
    /// migration is in progress".
    MigrationInProgress,
    /// `remove-brick … commit` after the data migration failed: "use 'force' option as
    /// migration has failed", "use 'force' option as migration of some files might have been
    /// skipped or has failed".
    MigrationFailed,
    /// A remove-brick (running, completed or failed) that was neither committed nor stopped
    /// blocks the command: "A remove-brick task on volume VOL is not yet committed. Either commit
    /// or stop the remove-brick task.", "An earlier remove-brick task exists for volume VOL.
    /// Either commit it or stop it before starting a new task."
    RemovalPending,
    /// A rebalance is already running on the volume: opErrno 30808 (`EG_RBALRUN`), "Rebalance
    /// on VOL is already started" (start, start force, fix-layout start), "Rebalance is in
    /// progress. Please retry after completion" (remove-brick start), "Volume name VOL rebalance
    /// is in progress. Please retry after completion" (add-brick).
    AlreadyRunning,
    /// A task's status or stop (or a commit) for a task gluster has no record of — never
    /// started, or already stopped or committed, since glusterd forgets those: "Rebalance not
    /// started for volume VOL.", "remove-brick not started for volume VOL.", "Brick BRICK is not
    /// decommissioned. Use start or force option". Not [`Refusal::VolumeNotStarted`].
    NotStarted,
    /// The volume does not exist: opErrno 30806 (`EG_NOVOL`, `volume info`: "Volume does not
    /// exist"), "Volume VOL does not exist".
    VolumeMissing,
    /// The volume exists but is not started: opErrno 30810 (`EG_VOLSTP`), "Volume VOL is not
    /// started", "Volume VOL needs to be started to perform rebalance", "Volume VOL needs to be
    /// started before remove-brick (you can use 'force' or 'commit' to override this
    /// behavior)". Not [`Refusal::NotStarted`], which is about a task.
    VolumeNotStarted,
    /// A node the command needs is down or the pool lost server quorum: opErrno 30804
    /// (`EG_NODEDWN`), "Host node of the brick BRICK is down", "Some of the peers are down",
    /// "Server quorum not met. Rejecting operation.", "Quorum not met. Volume operation not
    /// allowed." (GlusterFS 10.3 starts a rebalance with a node down and lets it fail, so the
    /// captures hold no such refusal.)
    PeerDown,
    /// The request itself is wrong for this volume: "Incorrect brick BRICK for volume VOL",
    /// "Remove brick incorrect brick count of N for replica M", "Bricks not from same subvol for
    /// replica", "Deleting all the bricks of the volume is not allowed", "Volume VOL is not a
    /// distribute volume or contains only 1 brick.\nNot performing rebalance", "This command is
    /// supported for only volumes of replicate/disperse type. …" (opErrno 22, `EINVAL`),
    /// "Remove exactly N brick(s) from each subvolume.", "Removing bricks from replicate
    /// configuration is not allowed without reducing replica count explicitly.", "Migration of
    /// data is not needed when reducing replica count. Use the 'force' option", "Host node of
    /// the brick BRICK is not in cluster", and the arbiter rules of remove-brick.
    Invalid,
    /// Any other refusal ("Commit failed on HOST. …", "Unlocking failed on HOST. …", an
    /// op-version complaint, …): read gluster's message.
    Other,
}

/// A text rule: the refusal, and the test of the lowercased message that selects it.
type TextRule = (Refusal, fn(&str) -> bool);

/// Text rules in the order they are tried: the first whose test matches the lowercased message
/// wins. More specific rules come first ("as migration is in progress" before "rebalance is in
/// progress", "not started for volume" before "volume … is not started").
const TEXT_RULES: &[TextRule] = &[
    (Refusal::LockHeld, |t| {
        t.contains("another transaction") || locking_failed(t)
    }),
    (Refusal::TaskDaemonBusy, |t| {
        t.contains("brick ops failed") && t.contains("brick op 'rebalance' failed")
    }),
    (Refusal::MigrationInProgress, |t| {
        t.contains("as migration is in progress")
    }),
    (Refusal::MigrationFailed, |t| {
        t.contains("migration has failed") || t.contains("skipped or has failed")
    }),
    (Refusal::RemovalPending, |t| {
        t.contains("not yet committed") || t.contains("an earlier remove-brick task exists")
    }),
    (Refusal::AlreadyRunning, |t| {
        t.contains("is already started")
            || t.contains("is already running")
            || t.contains("already in progress")
            || t.contains("rebalance is in progress")
    }),
    (Refusal::NotStarted, |t| {
        t.contains("not started for volume") || t.contains("is not decommissioned")
    }),
    (Refusal::VolumeMissing, |t| {
        t.contains("volume") && t.contains("does not exist")
    }),
    (Refusal::VolumeNotStarted, |t| {
        t.contains("needs to be started")
            || (t.contains("volume") && t.contains("is not started"))
            || t.contains("not in the started state")
    }),
    (Refusal::PeerDown, |t| {
        (t.contains("host node") && t.contains("is down"))
            || t.contains("peers are down")
            || t.contains("quorum not met")
    }),
    (Refusal::Invalid, |t| {
        [
            "incorrect brick",
            "not from same subvol",
            "deleting all the bricks",
            "is not a distribute volume",
            "supported for only volumes of",
            "remove exactly",
            "without reducing replica count",
            "migration of data is not needed",
            "is not in cluster",
            "remove arbiter brick",
            "must contain arbiter",
            "no remove-brick command issued",
        ]
        .iter()
        .any(|p| t.contains(p))
    }),
];

/// "Locking failed on HOST" (the lock phase failed, the command did not run), but not
/// "Unlocking failed on HOST" (it ran; only the unlock failed).
fn locking_failed(text: &str) -> bool {
    text.match_indices("locking failed")
        .any(|(at, _)| !text[..at].ends_with("un"))
}

impl Refusal {
    /// Classifies a refusal from gluster's `opErrno` and its message (`opErrstr`, or `<output>`
    /// when that is empty): by the errno where it is specific, else by the text
    /// (case-insensitive), else [`Refusal::Invalid`] for `EINVAL` and [`Refusal::Other`].
    pub fn classify(errno: i64, message: &str) -> Refusal {
        if let Some(r) = Self::from_errno(errno) {
            return r;
        }
        let text = message.to_lowercase();
        match TEXT_RULES.iter().find(|(_, test)| test(&text)) {
            Some((r, _)) => *r,
            None if errno == EINVAL => Refusal::Invalid,
            None => Refusal::Other,
        }
    }

    /// The refusal that one of gluster's specific errnos means; `None` for the generic ones
    /// (0, 30800 `EG_INTRNL`, …), whose text says more.
    fn from_errno(errno: i64) -> Option<Refusal> {
        match errno {
            EG_ANOTRANS => Some(Refusal::LockHeld),
            EG_NODEDWN => Some(Refusal::PeerDown),
            EG_NOVOL => Some(Refusal::VolumeMissing),
            EG_RBALRUN => Some(Refusal::AlreadyRunning),
            EG_VOLSTP => Some(Refusal::VolumeNotStarted),
            _ => None,
        }
    }

    /// Another task or transaction holds the volume, so the request conflicts with the
    /// volume's current state rather than being wrong in itself: [`Refusal::LockHeld`],
    /// [`Refusal::TaskDaemonBusy`], [`Refusal::AlreadyRunning`], [`Refusal::RemovalPending`],
    /// [`Refusal::MigrationInProgress`] and [`Refusal::MigrationFailed`] (an uncommitted
    /// remove-brick still holds the volume).
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            Refusal::LockHeld
                | Refusal::TaskDaemonBusy
                | Refusal::AlreadyRunning
                | Refusal::RemovalPending
                | Refusal::MigrationInProgress
                | Refusal::MigrationFailed
        )
    }

    /// The same command may well succeed if simply run again shortly:
    /// [`Refusal::LockHeld`] (the command was not run) and [`Refusal::TaskDaemonBusy`] (safe to
    /// repeat for a task's status and stop only).
    pub fn is_retryable(self) -> bool {
        matches!(self, Refusal::LockHeld | Refusal::TaskDaemonBusy)
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal::{self, *};

    /// (opErrno, message, expected): every text rule, with the captures' own wording.
    const TEXTS: &[(i64, &str, Refusal)] = &[
        (30802, "Another transaction is in progress for dist. Please try again after some time.", LockHeld),
        (30802, "anything at all", LockHeld),
        (30800, "Another transaction is in progress. Please try again after some time.", LockHeld),
        (30800, "Another transaction could be in progress. Please try again after some time.", LockHeld),
        (30800, "Locking failed on 192.0.2.13. Please check log file for details.", LockHeld),
        (30800, "Unlocking failed on 192.0.2.13. Please check log file for details.", Other),
        (30800, "ANOTHER TRANSACTION IS IN PROGRESS", LockHeld),
        (30800, "Brick ops failed on 192.0.2.13. Glusterd Syncop Mgmt brick op 'Rebalance' failed. Please check brick log file for details.", TaskDaemonBusy),
        (30800, "Brick ops failed on 192.0.2.13. Glusterd Syncop Mgmt brick op 'Heal' failed.", Other),
        (30800, "use 'force' option as migration is in progress", MigrationInProgress),
        (30800, "use 'force' option as migration has failed", MigrationFailed),
        (30800, "use 'force' option as migration of some files might have been skipped or has failed", MigrationFailed),
        (30800, "A remove-brick task on volume dist is not yet committed. Either commit or stop the remove-brick task.", RemovalPending),
        (30800, "An earlier remove-brick task exists for volume dist. Either commit it or stop it before starting a new task.", RemovalPending),
        (30800, "Rebalance on dist is already started", AlreadyRunning),
        (30808, "Rebalance is running", AlreadyRunning),
        (30800, "Rebalance is in progress. Please retry after completion", AlreadyRunning),
        (30800, "Volume name dist rebalance is in progress. Please retry after completion", AlreadyRunning),
        (30800, "Rebalance not started for volume dist.", NotStarted),
        (30800, "remove-brick not started for volume dist.", NotStarted),
        (30800, "Brick 192.0.2.11:/b/dist-b4 is not decommissioned. Use start or force option", NotStarted),
        // The trap: about the volume, not about a task.
        (30800, "Volume dist is not started", VolumeNotStarted),
        (30800, "Volume stopped is not started", VolumeNotStarted),
        (30800, "Volume dist is not started.", VolumeNotStarted),
        (30810, "Volume is not running", VolumeNotStarted),
        (30800, "Volume stopped needs to be started to perform rebalance", VolumeNotStarted),
        (30800, "Volume dist needs to be started before remove-brick (you can use 'force' or 'commit' to override this behavior)", VolumeNotStarted),
        (30800, "Volume nosuchvol does not exist", VolumeMissing),
        (30806, "Volume does not exist", VolumeMissing),
        (30806, "", VolumeMissing),
        (30800, "Volume nosuchvol does not exists", VolumeMissing),
        (30800, "Host node of the brick 192.0.2.13:/b/dist-b3 is down", PeerDown),
        (30800, "Some of the peers are down", PeerDown),
        (30800, "Server quorum not met. Rejecting operation.", PeerDown),
        (30800, "Quorum not met. Volume operation not allowed.", PeerDown),
        (30804, "One or more nodes are down", PeerDown),
        (0, "Incorrect brick 192.0.2.13:/b/nope for volume dist", Invalid),
        (30800, "Incorrect brick for volume dist", Invalid),
        (0, "Remove brick incorrect brick count of 2 for replica 3", Invalid),
        (0, "Bricks not from same subvol for replica", Invalid),
        (30800, "Deleting all the bricks of the volume is not allowed", Invalid),
        (30800, "Volume single is not a distribute volume or contains only 1 brick.\nNot performing rebalance", Invalid),
        (22, "This command is supported for only volumes of replicate/disperse type. Volume dist is not of type replicate/disperse", Invalid),
        (22, "something new", Invalid),
        (0, "Remove exactly 1 brick(s) from each subvolume.", Invalid),
        (0, "Removing bricks from replicate configuration is not allowed without reducing replica count explicitly.", Invalid),
        (30800, "Migration of data is not needed when reducing replica count. Use the 'force' option", Invalid),
        (30800, "Host node of the brick 192.0.2.99:/b/x is not in cluster", Invalid),
        (0, "Remove arbiter brick(s) only when converting from arbiter to replica 2 subvolume.", Invalid),
        (30800, "Commit failed on 192.0.2.12. Please check log file for details.", Other),
        (30800, "Required op-version (30707) should not be equal or lower than current cluster op-version (30707).", Other),
        (107, "Probe returned with Transport endpoint is not connected", Other),
        (30800, "gluster failed without a message", Other),
        (0, "", Other),
    ];

    #[test]
    fn every_text_rule() {
        for &(errno, message, want) in TEXTS {
            assert_eq!(
                Refusal::classify(errno, message),
                want,
                "{errno} {message:?}"
            );
        }
    }

    #[test]
    fn text_rules_ignore_case() {
        for &(errno, message, want) in TEXTS {
            let (upper, lower) = (message.to_uppercase(), message.to_lowercase());
            assert_eq!(Refusal::classify(errno, &upper), want, "{upper:?}");
            assert_eq!(Refusal::classify(errno, &lower), want, "{lower:?}");
        }
    }

    #[test]
    fn a_specific_errno_wins_over_the_text() {
        let text = "Rebalance not started for volume dist.";
        assert_eq!(Refusal::classify(30800, text), NotStarted);
        assert_eq!(Refusal::classify(30802, text), LockHeld);
        assert_eq!(Refusal::classify(30806, text), VolumeMissing);
        assert_eq!(Refusal::classify(30804, text), PeerDown);
    }

    #[test]
    fn predicates() {
        let conflicts = [
            LockHeld,
            TaskDaemonBusy,
            AlreadyRunning,
            RemovalPending,
            MigrationInProgress,
            MigrationFailed,
        ];
        let others = [
            NotStarted,
            VolumeMissing,
            VolumeNotStarted,
            PeerDown,
            Invalid,
            Other,
        ];
        assert!(conflicts.iter().all(|r| r.is_conflict()));
        assert!(others.iter().all(|r| !r.is_conflict()));
        let retryable: Vec<Refusal> = conflicts
            .iter()
            .chain(&others)
            .copied()
            .filter(|r| r.is_retryable())
            .collect();
        assert_eq!(retryable, [LockHeld, TaskDaemonBusy]);
    }
}
