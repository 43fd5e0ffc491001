#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(|| async { Ok::<_, std::convert::Infallible>(sessions::Sessions) }).await
}
