//! The manifest bucket (S3; moto's S3 locally): the only place the catalog tool speaks S3.
//! Objects are written once under a key naming their checksum and never changed, so the
//! bucket can sit behind a CDN that caches them for good.

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

/// Where manifests go, and the public URL they are read at.
#[derive(Debug, Clone)]
pub struct ManifestStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    base_url: String,
}

impl ManifestStore {
    /// `base_url`: what clients download from (`https://…`, e.g. a CloudFront domain in front of
    /// the bucket; locally moto's `http://127.0.0.1:<port>/<bucket>`).
    pub fn new(sdk: &SdkConfig, bucket: impl Into<String>, base_url: impl Into<String>) -> Result<Self, String> {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        let local = ["http://127.0.0.1:", "http://localhost:"].iter().any(|p| base_url.starts_with(p));
        if !(base_url.starts_with("https://") && base_url.len() > "https://".len() || local) || base_url.contains(char::is_whitespace) {
            return Err(format!("MANIFEST_BASE_URL {base_url:?} is not an https:// URL (http:// only on 127.0.0.1 or localhost)"));
        }
        let bucket = bucket.into();
        if bucket.is_empty() {
            return Err("MANIFEST_BUCKET is empty".into());
        }
        // An operator's tool, not a request: patient timeouts. A local endpoint (moto) takes the
        // bucket in the path, not the host name.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(60))
            .build();
        let conf = aws_sdk_s3::config::Builder::from(sdk).timeout_config(timeouts).force_path_style(sdk.endpoint_url().is_some()).build();
        Ok(Self { client: aws_sdk_s3::Client::from_conf(conf), bucket, base_url })
    }

    /// The bucket named by `MANIFEST_BUCKET`, read at `MANIFEST_BASE_URL`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("{name} is not set (the manifest bucket; see docs/catalog-tool.md, \"Courses\")"))
        };
        Self::new(sdk, var("MANIFEST_BUCKET")?, var("MANIFEST_BASE_URL")?)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether an object is stored at `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, String> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) if e.code() == Some("NotFound") || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) => Err(format!("s3://{}/{key}: {}", self.bucket, DisplayErrorContext(&e))),
        }
    }

    /// Stores `bytes` at `key` as JSON that never changes.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes.to_vec()))
            .content_type("application/json")
            .cache_control("public, max-age=31536000, immutable")
            .send()
            .await
            .map_err(|e| format!("s3://{}/{key}: {}", self.bucket, DisplayErrorContext(&e)))?;
        Ok(())
    }
}
