#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(token_refresh::TokenRefresh::from_env).await
}
