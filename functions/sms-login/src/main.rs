#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(sms_login::SmsLogin::from_env).await
}
