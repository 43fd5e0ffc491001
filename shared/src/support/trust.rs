//! The roots every outbound TLS connection trusts (the SDK's connector, the WeChat client):
//! Mozilla's, compiled into the binary (`webpki-roots`, already trust anchors, so nothing is
//! parsed at init), plus the certificates of `SSL_CERT_FILE` when it is set (one small PEM file:
//! how the bench's TLS proxy, a local CA or a corporate proxy's CA is trusted; a file that cannot
//! be read, or an entry that is not a usable CA certificate, is logged and skipped). Certificates
//! are verified by rustls' WebPKI verifier with the server's name checked, as before.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// rustls with aws-lc, TLS 1.2 and 1.3, the compiled-in roots and `SSL_CERT_FILE`'s.
pub fn client_config() -> rustls::ClientConfig {
    client_config_with(std::env::var_os("SSL_CERT_FILE").as_deref().map(Path::new))
}

/// The same, trusting the certificates of `extra` (PEM) besides the compiled-in roots.
pub fn client_config_with(extra: Option<&Path>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = extra {
        for cert in extra_certs(path) {
            roots.add(cert).expect("checked by extra_certs");
        }
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// The usable CA certificates of a PEM file, each checked the way rustls will take it.
pub(crate) fn extra_certs(path: &Path) -> Vec<CertificateDer<'static>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "SSL_CERT_FILE not read: only the compiled-in roots are trusted");
            return Vec::new();
        }
    };
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        match cert {
            Ok(cert) if rustls::RootCertStore::empty().add(cert.clone()).is_ok() => certs.push(cert),
            Ok(_) => tracing::warn!(path = %path.display(), "a certificate of SSL_CERT_FILE is not a usable trust anchor: skipped"),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "SSL_CERT_FILE is not valid PEM: the rest of it is skipped");
                break;
            }
        }
    }
    certs
}
