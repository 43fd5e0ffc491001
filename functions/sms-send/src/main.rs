#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(sms_send::SmsSend::from_env).await
}
