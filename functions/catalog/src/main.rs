#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(catalog::Catalog::from_env).await
}
