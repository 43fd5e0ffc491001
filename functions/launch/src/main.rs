#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(launch::Launch::from_env).await
}
