#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(registration::Registration::from_env).await
}
