#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(sessions::Sessions::from_env).await
}
