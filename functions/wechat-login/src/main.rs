#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::handler::main(wechat_login::WechatLogin::from_env).await
}
