#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(token_refresh::TokenRefresh::from_env).await
}
