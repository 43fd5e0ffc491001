#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(launch::Launch::from_env).await
}
