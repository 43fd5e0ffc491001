#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(sms_login::SmsLogin::from_env).await
}
