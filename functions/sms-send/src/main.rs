#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(sms_send::SmsSend::from_env).await
}
