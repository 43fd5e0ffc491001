//! The HTTPS client of every AWS SDK client a function builds (DynamoDB, SNS): rustls with aws-lc,
//! as the SDK's `default-https-client` has it, but trusting Mozilla's root certificates compiled
//! into the binary (`webpki-roots`, already parsed into trust anchors) instead of the system's
//! trust store.
//!
//! Why: the SDK's default connector reads and parses every certificate of the system store
//! (`rustls-native-certs`) when it builds its first connection — in `catalog`, 18.6 M of init's
//! 22.7 M instructions. `aws-smithy-http-client`'s own `TrustStore` takes PEM only, and parsing
//! Mozilla's 140-odd roots from PEM still cost 13 M (callgrind): so this is the SDK's
//! `HttpClient` trait over hyper-util's client and hyper-rustls' connector (the crates the SDK's
//! own client is made of), with a rustls configuration whose roots need no parsing at all.
//! Certificates are verified exactly as before (rustls' WebPKI verifier, the server's name
//! checked); only where the trust anchors come from changes: the Mozilla list (CCADB), which
//! every endpoint the functions call chains to (see docs/performance.md, AWS China included).
//!
//! The roots, `SSL_CERT_FILE` included, are `support::trust`'s: the WeChat client trusts the same.
//!
//! What the SDK's client did that this one does not: HTTP/2 (DynamoDB and SNS speak HTTP/1.1),
//! and `HTTPS_PROXY` from the environment (no function goes through a proxy).

use crate::support::trust;
use aws_sdk_dynamodb::config::{HttpClient, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The HTTPS client for the SDK: compiled-in roots, plus `SSL_CERT_FILE`'s certificates if set.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(Https { tls: trust::client_config(), connectors: Arc::default() })
}

/// The HTTPS client for the SDK: compiled-in roots, plus the certificates of `extra` (PEM).
pub fn https_client_with(extra: Option<&Path>) -> SharedHttpClient {
    SharedHttpClient::new(Https { tls: trust::client_config_with(extra), connectors: Arc::default() })
}

type Timeouts = (Option<Duration>, Option<Duration>);

/// One connector (one connection pool) per connect/read timeout pair the SDK asks for, as the
/// SDK's own client keeps them.
#[derive(Debug)]
struct Https {
    tls: rustls::ClientConfig,
    connectors: Arc<Mutex<HashMap<Timeouts, SharedHttpConnector>>>,
}

impl HttpClient for Https {
    fn http_connector(&self, settings: &HttpConnectorSettings, _components: &RuntimeComponents) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        connectors.entry(key).or_insert_with(|| SharedHttpConnector::new(Connector::new(self.tls.clone(), key))).clone()
    }
}

#[derive(Debug)]
struct Connector {
    client: Client<hyper_rustls::HttpsConnector<TcpConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl Connector {
    fn new(tls: rustls::ClientConfig, (connect_timeout, read_timeout): Timeouts) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        // https_or_http: the local stack (moto) is plain HTTP; every deployed endpoint is HTTPS.
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(tcp);
        let client =
            Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).pool_idle_timeout(Duration::from_secs(90)).build(https);
        Self { client, read_timeout }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let sent = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sent).await.map_err(|e| ConnectorError::timeout(e.into()))?,
                None => sent.await,
            };
            let response = response.map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x)).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// The SDK's retry classes for what hyper returns: a TLS refusal (an untrusted certificate) is
/// final; a failed connection, a closed or cancelled one, or any I/O error is transient.
fn classify(e: hyper_util::client::legacy::Error) -> ConnectorError {
    let tls = chain(&e).any(|e| e.is::<rustls::Error>());
    let hyper = chain(&e).find_map(|e| e.downcast_ref::<hyper::Error>()).map(|h| (h.is_timeout(), h.is_user(), h.is_incomplete_message()));
    let io = e.is_connect() || hyper.is_some() || chain(&e).any(|e| e.is::<std::io::Error>());
    match hyper {
        _ if tls => ConnectorError::other(e.into(), None),
        Some((true, _, _)) => ConnectorError::timeout(e.into()),
        Some((_, true, _)) => ConnectorError::user(e.into()),
        Some((_, _, true)) => ConnectorError::other(e.into(), Some(ErrorKind::TransientError)),
        _ if io => ConnectorError::io(e.into()),
        _ => ConnectorError::other(e.into(), None),
    }
}

/// `e` and its sources, and the payload of each `io::Error` (whose `source` skips it).
fn chain<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |&e| match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        Some(inner) => Some(inner as &(dyn Error + 'static)),
        None => e.source(),
    })
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
        chain(e).any(|e| {
            matches!(e.downcast_ref::<rustls::Error>(), Some(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)))
        })
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
        assert!(trust::extra_certs(&file).is_empty());
        assert!(trust::extra_certs(&dir.join("missing.pem")).is_empty());
        std::fs::remove_dir_all(&dir).ok();
        // And the compiled-in roots are Mozilla's, the Amazon Trust Services roots among them.
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    }
}
