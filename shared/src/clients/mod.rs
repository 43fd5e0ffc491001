//! The outbound services other than DynamoDB: WeChat's login exchange and SNS's SMS.

pub mod sns;
pub mod wechat;
