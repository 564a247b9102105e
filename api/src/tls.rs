//! The optional TLS listener: a rustls server configuration from a PEM certificate chain and a
//! PEM private key named in the config file (`[tls] cert`, `key`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[tls]` of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM file: the server certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM file: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Builds the rustls configuration, naming the file at fault when one cannot be used.
pub fn server_config(tls: &TlsSettings) -> Result<rustls::ServerConfig, String> {
    let bad = |path: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|e| bad(&tls.cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&tls.cert, &e))?;
    if certs.is_empty() {
        return Err(bad(&tls.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| bad(&tls.key, &e))?;
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))
}
