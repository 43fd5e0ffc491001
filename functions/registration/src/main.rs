#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(registration::Registration::from_env).await
}
