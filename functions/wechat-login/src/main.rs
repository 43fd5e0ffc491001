#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::handler::main(wechat_login::WechatLogin::from_env).await
}
