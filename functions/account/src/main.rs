#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(account::Account::from_env).await
}
