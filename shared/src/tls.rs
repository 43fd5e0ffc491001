//! The HTTPS client of every AWS SDK client a function builds (DynamoDB, SNS): rustls with aws-lc,
//! as the SDK's `default-https-client` has it, but trusting Mozilla's root certificates compiled
//! into the binary (`webpki-root-certs`) instead of the system's trust store.
//!
//! Why: the SDK's default connector reads and parses every certificate of the system store
//! (`rustls-native-certs`: the PEM bundle, and every file of `/etc/ssl/certs`) when it builds its
//! first connection — in `catalog`, 18.6 M of init's 22.3 M instructions. The compiled-in roots
//! cost a small fraction of that, and need no file system. Certificates are verified exactly as
//! before (rustls' WebPKI verifier, the server's name checked); only where the trust anchors
//! come from changes: the Mozilla list (CCADB), the same one Debian's `ca-certificates` and the
//! Lambda base images are built from. Every endpoint the functions call is public (DynamoDB and
//! SNS of the deployed region, AWS China's included; see docs/performance.md), and chains to a
//! CA of that list.
//!
//! `SSL_CERT_FILE`: when set, the certificates of that PEM file are trusted too (one small file:
//! cheap to read). That is how the bench's TLS proxy and a local or corporate CA are trusted;
//! a file that cannot be read, or an entry that is not a usable CA certificate, is logged and
//! skipped: the compiled-in roots still apply.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use base64::Engine as _;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// The HTTPS client for the SDK: compiled-in roots, plus `SSL_CERT_FILE`'s certificates if set.
pub fn https_client() -> SharedHttpClient {
    https_client_with(std::env::var_os("SSL_CERT_FILE").as_deref().map(Path::new))
}

/// The HTTPS client for the SDK: compiled-in roots, plus the certificates of `extra` (PEM).
pub fn https_client_with(extra: Option<&Path>) -> SharedHttpClient {
    let context = TlsContext::builder().with_trust_store(trust_store(extra)).build().expect("a TLS context of root certificates");
    Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc)).tls_context(context).build_https()
}

/// Mozilla's roots and `extra`'s certificates; never the system's store (`with_native_roots(false)`).
fn trust_store(extra: Option<&Path>) -> TrustStore {
    // The SDK takes PEM only: one bundle of every root, parsed when the first connection is built.
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2_200);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        push_pem(&mut pem, cert);
    }
    if let Some(path) = extra {
        for cert in extra_certs(path) {
            push_pem(&mut pem, &cert);
        }
    }
    TrustStore::empty().with_native_roots(false).with_pem_certificate(pem.into_bytes())
}

fn push_pem(pem: &mut String, der: &[u8]) {
    pem.push_str("-----BEGIN CERTIFICATE-----\n");
    base64::engine::general_purpose::STANDARD.encode_string(der, pem);
    pem.push_str("\n-----END CERTIFICATE-----\n");
}

/// The usable CA certificates of a PEM file. The SDK panics on an entry it cannot parse as a
/// trust anchor, so each is checked here first, the way rustls will take it.
fn extra_certs(path: &Path) -> Vec<CertificateDer<'static>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_dynamodb::error::DisplayErrorContext;
    use aws_sdk_dynamodb::types::AttributeValue;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls_pki_types::PrivateKeyDer;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A CA made for the test, and a TLS server on 127.0.0.1 whose certificate it signed, which
    /// answers every request as DynamoDB answers a GetItem of nothing.
    async fn server() -> (String, String) {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "client-api test CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
        let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let Ok(n) = tls.read(&mut buf).await else { return };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        // One request: its head, and the body of its content-length.
                        let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                        let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if seen.len() < end + 4 + length {
                            continue;
                        }
                        seen.drain(..end + 4 + length);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\n\r\n{}";
                        if tls.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, ca.pem())
    }

    async fn get_item(http: SharedHttpClient, url: &str) -> Result<(), String> {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(url)
            .http_client(http)
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let get = client.get_item().table_name("t").key("pk", AttributeValue::S("x".into()));
        get.send().await.map(|_| ()).map_err(|e| {
            assert!(is_unknown_issuer(&e), "not a certificate error: {}", DisplayErrorContext(&e));
            DisplayErrorContext(&e).to_string()
        })
    }

    /// rustls' "unknown issuer" somewhere in the chain (hyper-rustls nests it in `io::Error`s,
    /// whose `source` skips their payload: `get_ref` reaches it).
    fn is_unknown_issuer(e: &(dyn std::error::Error + 'static)) -> bool {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)) = e.downcast_ref::<rustls::Error>() {
                return true;
            }
            if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
                if is_unknown_issuer(inner) {
                    return true;
                }
            }
            next = e.source();
        }
        false
    }

    #[tokio::test]
    async fn unknown_ca_is_refused_and_trusted_once_in_ssl_cert_file() {
        let (url, ca_pem) = server().await;

        // The compiled-in roots do not hold the test's CA: the handshake fails on the certificate.
        let refused = get_item(https_client_with(None), &url).await;
        assert!(refused.is_err(), "a server with a certificate of an unknown CA was trusted");

        // The control: the same client trusts that CA once it is in the SSL_CERT_FILE file.
        let dir = std::env::temp_dir().join(format!("client-api-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ca.pem");
        std::fs::write(&file, ca_pem).unwrap();
        let trusted = get_item(https_client_with(Some(&file)), &url).await;
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(trusted, Ok(()));
    }

    #[test]
    fn ssl_cert_file_entries_that_are_no_certificate_are_skipped() {
        let dir = std::env::temp_dir().join(format!("client-api-tls-skip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.pem");
        std::fs::write(&file, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        assert!(extra_certs(&file).is_empty());
        assert!(extra_certs(&dir.join("missing.pem")).is_empty());
        std::fs::remove_dir_all(&dir).ok();
        // And the compiled-in roots are there, all of them taken by rustls as trust anchors.
        let mut roots = rustls::RootCertStore::empty();
        let (valid, invalid) = roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        assert!(valid > 100 && invalid == 0, "{valid} roots, {invalid} refused");
    }
}
