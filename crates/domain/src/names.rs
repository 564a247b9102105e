//! Validated volume and brick names.
//!
//! Every name that can reach a `gluster` argv goes through these types first, so that no request
//! value can ever be read by the CLI as an option (`--mode=x`) or carry shell syntax.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest volume name accepted (gluster's `GD_VOLUME_NAME_MAX` is 1000 minus room for suffixes;
/// real names are short, and the CLI refuses names it cannot turn into file names).
pub const MAX_VOLUME_NAME_LEN: usize = 128;

/// A gluster volume name: letters, digits, `-` and `_`, not starting with `-`, not `all`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VolumeName(String);

impl VolumeName {
    /// Validates `name` against gluster's volume name rules.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        let fail = |reason| DomainError::InvalidVolumeName {
            name: name.to_owned(),
            reason,
        };
        if name.is_empty() {
            return Err(fail("must not be empty"));
        }
        if name.len() > MAX_VOLUME_NAME_LEN {
            return Err(fail("is longer than 128 characters"));
        }
        if name.starts_with('-') {
            return Err(fail("must not start with '-'"));
        }
        if name.eq_ignore_ascii_case("all") {
            return Err(fail("'all' is reserved by gluster"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(fail("may contain only letters, digits, '-' and '_'"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as gluster spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VolumeName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<VolumeName> for String {
    fn from(value: VolumeName) -> Self {
        value.0
    }
}

impl fmt::Display for VolumeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A brick as gluster names it: `host:/absolute/path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BrickName {
    full: String,
    colon: usize,
}

impl BrickName {
    /// Validates `brick`: a host name or IPv4 address, a colon, an absolute path made of
    /// letters, digits and `._-/+@,=` (no `..` component, no white space, no shell syntax).
    pub fn parse(brick: &str) -> Result<Self, DomainError> {
        let fail = |reason| DomainError::InvalidBrick {
            brick: brick.to_owned(),
            reason,
        };
        let Some(colon) = brick.find(':') else {
            return Err(fail("must be host:/absolute/path"));
        };
        let (host, path) = (&brick[..colon], &brick[colon + 1..]);
        if host.is_empty() || host.len() > 253 {
            return Err(fail("host must be 1 to 253 characters"));
        }
        if host.starts_with(['-', '.']) || host.ends_with(['-', '.']) {
            return Err(fail("host must not start or end with '-' or '.'"));
        }
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(fail("host may contain only letters, digits, '-' and '.'"));
        }
        if !path.starts_with('/') {
            return Err(fail("path must be absolute"));
        }
        if path.len() > 4096 {
            return Err(fail("path is longer than 4096 characters"));
        }
        if !path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+@,=".contains(c))
        {
            return Err(fail(
                "path may contain only letters, digits and the characters ._-/+@,=",
            ));
        }
        if path.split('/').any(|part| part == "..") {
            return Err(fail("path must not contain '..'"));
        }
        Ok(Self {
            full: brick.to_owned(),
            colon,
        })
    }

    /// The host part.
    pub fn host(&self) -> &str {
        &self.full[..self.colon]
    }

    /// The path part.
    pub fn path(&self) -> &str {
        &self.full[self.colon + 1..]
    }

    /// `host:/path`, as gluster spells it.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl TryFrom<String> for BrickName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<BrickName> for String {
    fn from(value: BrickName) -> Self {
        value.full
    }
}

impl fmt::Display for BrickName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_follow_gluster_rules() {
        for ok in ["dist", "vol_1", "a-b", "X9"] {
            assert_eq!(VolumeName::parse(ok).map(|v| v.to_string()), Ok(ok.into()));
        }
        for bad in ["", "-x", "--mode=script", "all", "a b", "a;rm", "a/b", "ä"] {
            assert!(VolumeName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(VolumeName::parse(&"v".repeat(129)).is_err());
    }

    #[test]
    fn bricks_are_host_colon_absolute_path() {
        let b = BrickName::parse("192.0.2.11:/bricks/dist-b1").unwrap();
        assert_eq!((b.host(), b.path()), ("192.0.2.11", "/bricks/dist-b1"));
        for bad in [
            "host",
            ":/p",
            "host:rel",
            "-h:/p",
            "--mode=x",
            "h:/p;rm -rf",
            "h:/p q",
            "h:/a/../b",
            "h$(x):/p",
            "h:/p\n",
        ] {
            assert!(BrickName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
