//! The rules of removing bricks, checked before any gluster call. They mirror gluster's own
//! checks (citing its messages where it has one) and add the ones that keep data safe.

use crate::{Brick, DomainError, Volume, VolumeStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How the bricks leave the volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalMode {
    /// `remove-brick … start`: data migrates off the bricks first; a task, then a commit.
    Migrate,
    /// `remove-brick … force`: the bricks leave at once, without migration.
    Force,
}

/// What a caller asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemovalRequest {
    /// Bricks by `host:/path` or by brick id.
    pub bricks: Vec<String>,
    /// Migrate the data off the bricks first (the safe default).
    pub migrate_data: bool,
    /// Reduce the replica count to this (takes bricks from every replica set).
    pub replica_count: Option<i32>,
    /// The caller accepts losing the files on the bricks (removal without migration).
    pub accept_data_loss: bool,
}

/// A checked removal: the bricks in volume order and how they leave.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovalPlan {
    /// The bricks, in volume order.
    pub bricks: Vec<Brick>,
    /// Migrate or force.
    pub mode: RemovalMode,
    /// The new replica count, when the removal reduces it.
    pub replica_count: Option<i32>,
}

impl RemovalPlan {
    /// `host:/path` of each brick, in volume order.
    pub fn brick_names(&self) -> Vec<String> {
        self.bricks.iter().map(|b| b.name.clone()).collect()
    }
}

fn invalid(msg: String) -> DomainError {
    DomainError::NotEligible(msg)
}

impl Volume {
    /// Bricks per replica or disperse set (1 for plain distribute).
    pub fn set_size(&self) -> i32 {
        if self.layout.disperse_count > 0 {
            self.layout.disperse_count
        } else {
            self.layout.replica_count.max(1)
        }
    }

    /// Finds a brick by `host:/path` or by its id.
    pub fn find_brick(&self, name_or_id: &str) -> Option<&Brick> {
        self.bricks
            .iter()
            .find(|b| b.name == name_or_id || b.id.to_string() == name_or_id.to_ascii_lowercase())
    }

    /// Resolves brick names or ids to this volume's bricks (in volume order); unknown or
    /// repeated bricks are refused with the list of valid ones.
    pub fn resolve_bricks(&self, given: &[String]) -> Result<Vec<Brick>, DomainError> {
        if given.is_empty() {
            return Err(invalid(
                "bricks is required: name at least one brick".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for g in given {
            let Some(b) = self.find_brick(g) else {
                return Err(invalid(format!(
                    "{g} is not a brick of volume {}; its bricks are: {}",
                    self.name,
                    self.bricks
                        .iter()
                        .map(|b| b.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            if !seen.insert(b.position) {
                return Err(invalid(format!("brick {} is named twice", b.name)));
            }
        }
        Ok(self
            .bricks
            .iter()
            .filter(|b| seen.contains(&b.position))
            .cloned()
            .collect())
    }

    /// Checks a removal against gluster's rules and this service's safety rules.
    pub fn plan_removal(&self, req: &RemovalRequest) -> Result<RemovalPlan, DomainError> {
        let bricks = self.resolve_bricks(&req.bricks)?;
        if self.status != VolumeStatus::Started {
            return Err(invalid(format!(
                "Volume {} is not started; start it before removing bricks",
                self.name
            )));
        }
        if bricks.len() >= self.bricks.len() {
            return Err(invalid(
                "Deleting all the bricks of the volume is not allowed".into(),
            ));
        }
        let set = self.set_size();
        let n = bricks.len() as i32;
        let sets_of = |bricks: &[Brick]| -> Vec<Vec<i32>> {
            let mut by_set: std::collections::BTreeMap<i32, Vec<i32>> = Default::default();
            for b in bricks {
                by_set.entry(b.position / set).or_default().push(b.position);
            }
            by_set.into_values().collect()
        };
        if let Some(target) = req.replica_count {
            if self.layout.disperse_count > 0 || self.layout.replica_count <= 1 {
                return Err(invalid(format!(
                    "replica_count applies only to replicated volumes; {} is not one",
                    self.name
                )));
            }
            let current = self.layout.replica_count;
            if target < 1 || target >= current {
                return Err(invalid(format!(
                    "replica_count must be between 1 and {} (the current replica count is {current})",
                    current - 1
                )));
            }
            let per_set = current - target;
            let groups = sets_of(&bricks);
            let every_set = groups.len() as i32 == self.layout.distribute_count
                && groups.iter().all(|g| g.len() as i32 == per_set);
            if !every_set {
                return Err(invalid(format!(
                    "reducing replica {current} to {target} takes exactly {per_set} brick(s) from each of the {} replica sets ({} bricks in all); {n} given",
                    self.layout.distribute_count,
                    per_set * self.layout.distribute_count
                )));
            }
            // The other replicas hold the data: nothing to migrate, nothing lost.
            return Ok(RemovalPlan {
                bricks,
                mode: RemovalMode::Force,
                replica_count: Some(target),
            });
        }
        if set > 1 {
            let kind = if self.layout.disperse_count > 0 {
                "disperse"
            } else {
                "replica"
            };
            if n % set != 0 {
                return Err(invalid(format!(
                    "Remove brick incorrect brick count of {n} for {kind} {set}"
                )));
            }
            if sets_of(&bricks).iter().any(|g| g.len() as i32 != set) {
                return Err(invalid(format!(
                    "Bricks not from same subvol for {kind}: remove whole {kind} sets of {set} bricks"
                )));
            }
        }
        let mode = if req.migrate_data {
            RemovalMode::Migrate
        } else {
            if !req.accept_data_loss {
                return Err(invalid(format!(
                    "removing bricks without migrating their data loses the files on them; set accept_data_loss to true to remove {} anyway",
                    bricks.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            RemovalMode::Force
        };
        Ok(RemovalPlan {
            bricks,
            mode,
            replica_count: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{VolumeLayout, VolumeType};
    use chrono::Utc;
    use uuid::Uuid;

    fn vol(bricks: i32, replica: i32, disperse: i32) -> Volume {
        let id = Uuid::new_v4();
        let set = if disperse > 0 { disperse } else { replica };
        Volume {
            id,
            cluster_id: Uuid::new_v4(),
            name: "v".into(),
            vol_type: VolumeType::DistributedReplicate,
            status: VolumeStatus::Started,
            layout: VolumeLayout {
                brick_count: bricks,
                distribute_count: bricks / set,
                replica_count: replica,
                disperse_count: disperse,
                ..Default::default()
            },
            bricks: (0..bricks)
                .map(|i| {
                    let name = format!("h{}:/b/{i}", i % 3);
                    Brick {
                        id: Brick::id_for(id, &name),
                        name,
                        position: i,
                        peer_id: None,
                        is_arbiter: false,
                    }
                })
                .collect(),
            refreshed_at: Utc::now(),
        }
    }

    fn req(v: &Volume, positions: &[usize]) -> RemovalRequest {
        RemovalRequest {
            bricks: positions
                .iter()
                .map(|p| v.bricks[*p].name.clone())
                .collect(),
            migrate_data: true,
            ..Default::default()
        }
    }

    fn err(r: Result<RemovalPlan, DomainError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn distribute_removal_migrates_by_default() {
        let v = vol(4, 1, 0);
        let p = v.plan_removal(&req(&v, &[3, 1])).unwrap();
        assert_eq!(p.mode, RemovalMode::Migrate);
        assert_eq!(
            p.brick_names(),
            vec![v.bricks[1].name.clone(), v.bricks[3].name.clone()],
            "volume order"
        );
    }

    #[test]
    fn bricks_by_id_or_name_and_unknown_ones_list_the_valid_bricks() {
        let v = vol(4, 1, 0);
        let r = RemovalRequest {
            bricks: vec![v.bricks[2].id.to_string()],
            migrate_data: true,
            ..Default::default()
        };
        assert_eq!(v.plan_removal(&r).unwrap().bricks[0].position, 2);
        let e = err(v.plan_removal(&RemovalRequest {
            bricks: vec!["h9:/x".into()],
            migrate_data: true,
            ..Default::default()
        }));
        assert!(
            e.contains("h9:/x is not a brick of volume v") && e.contains("h0:/b/0"),
            "{e}"
        );
        assert!(err(v.plan_removal(&RemovalRequest::default())).contains("bricks is required"));
        let twice = RemovalRequest {
            bricks: vec![v.bricks[0].name.clone(), v.bricks[0].id.to_string()],
            migrate_data: true,
            ..Default::default()
        };
        assert!(err(v.plan_removal(&twice)).contains("named twice"));
    }

    #[test]
    fn not_all_bricks_and_only_started_volumes() {
        let v = vol(2, 1, 0);
        assert_eq!(
            err(v.plan_removal(&req(&v, &[0, 1]))),
            "Deleting all the bricks of the volume is not allowed"
        );
        let mut stopped = vol(4, 1, 0);
        stopped.status = VolumeStatus::Stopped;
        assert!(err(stopped.plan_removal(&req(&stopped, &[0]))).contains("not started"));
    }

    #[test]
    fn replicated_and_dispersed_volumes_lose_whole_sets_only() {
        let v = vol(6, 3, 0);
        assert_eq!(
            err(v.plan_removal(&req(&v, &[3, 4]))),
            "Remove brick incorrect brick count of 2 for replica 3"
        );
        assert!(err(v.plan_removal(&req(&v, &[0, 1, 5])))
            .starts_with("Bricks not from same subvol for replica"));
        assert_eq!(
            v.plan_removal(&req(&v, &[3, 4, 5])).unwrap().mode,
            RemovalMode::Migrate
        );
        let ec = vol(12, 1, 6);
        assert!(err(ec.plan_removal(&req(&ec, &[0, 1, 2]))).contains("for disperse 6"));
        assert!(ec.plan_removal(&req(&ec, &[6, 7, 8, 9, 10, 11])).is_ok());
    }

    #[test]
    fn replica_reduction_takes_one_brick_per_set_and_forces() {
        let v = vol(6, 3, 0);
        let mut r = req(&v, &[2, 5]);
        r.replica_count = Some(2);
        let p = v.plan_removal(&r).unwrap();
        assert_eq!((p.mode, p.replica_count), (RemovalMode::Force, Some(2)));
        let mut r = req(&v, &[2]);
        r.replica_count = Some(2);
        assert!(err(v.plan_removal(&r)).contains("from each of the 2 replica sets"));
        let mut r = req(&v, &[1, 2]);
        r.replica_count = Some(2);
        assert!(
            v.plan_removal(&r).is_err(),
            "two from one set, none from the other"
        );
        let mut r = req(&v, &[2, 5]);
        r.replica_count = Some(3);
        assert!(err(v.plan_removal(&r)).contains("between 1 and 2"));
        let d = vol(4, 1, 0);
        let mut r = req(&d, &[0]);
        r.replica_count = Some(1);
        assert!(err(d.plan_removal(&r)).contains("only to replicated volumes"));
    }

    #[test]
    fn removal_without_migration_needs_explicit_acceptance_of_data_loss() {
        let v = vol(4, 1, 0);
        let mut r = req(&v, &[0]);
        r.migrate_data = false;
        assert!(err(v.plan_removal(&r)).contains("accept_data_loss"));
        r.accept_data_loss = true;
        assert_eq!(v.plan_removal(&r).unwrap().mode, RemovalMode::Force);
    }
}
