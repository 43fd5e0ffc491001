#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(body_profile::BodyProfile::from_env).await
}
