//! SNS, for SMS: opening the connection during init, and publishing one transactional message.

use aws_sdk_sns::Client;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use std::time::Duration;

/// Opens the SNS connection during init, as `Db::warm` does DynamoDB's: one GetSMSAttributes
/// (sms-send may call it for this alone), no retry, bounded; a failure is logged and changes nothing.
pub async fn warm(sns: &Client, within: Duration) {
    let once = aws_sdk_sns::Config::builder()
        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
        .timeout_config(aws_sdk_sns::config::timeout::TimeoutConfig::builder().operation_timeout(within).build());
    if let Err(e) = sns.get_sms_attributes().attributes("DefaultSMSType").customize().config_override(once).send().await {
        tracing::warn!(error = %DisplayErrorContext(&e), "SNS connection not opened during init; the first SMS will");
    }
}

/// Sends `message` to `e164` as a transactional SMS (with `sender_id` where the country uses one).
/// The error says why, for the log.
pub async fn deliver(sns: &Client, message: &str, e164: &str, sender_id: Option<&str>) -> Result<(), String> {
    let attr = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build().expect("attribute is complete");
    let mut publish = sns.publish().phone_number(e164).message(message).message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional"));
    if let Some(sender) = sender_id {
        publish = publish.message_attributes("AWS.SNS.SMS.SenderID", attr(sender));
    }
    publish.send().await.map(|_| ()).map_err(|e| DisplayErrorContext(&e).to_string())
}
