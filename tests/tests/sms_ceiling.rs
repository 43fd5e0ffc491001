//! The global hourly SMS ceiling, in a suite (and so a table) of its own: it counts every send
//! of the deployment, which no other suite may share.

use lambda_http::http::StatusCode;
use serde_json::json;
use sms_send::SmsSend;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tests::{db, from_ip, invoke, sdk_config, sms_config, sms_to, unique, unique_ip, unique_mobile, with_body};

/// The function's JSON log lines, as CloudWatch would receive them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn past_the_global_hourly_ceiling_sends_are_refused_and_an_alarm_line_is_logged() {
    // given a ceiling of 5 sends an hour (well inside one hour), and the function's logs captured
    tests::clear_of_the_hour(30).await;
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let mut sms = sms_config();
    sms.hourly_global = 5;
    let sender = SmsSend { db: db().await, sns: aws_sdk_sns::Client::new(&sdk_config().await), sms };

    // when 8 different callers (address, device, mobile) ask for a code
    let mut answers = Vec::new();
    let mobiles: Vec<String> = (0..8).map(|_| unique_mobile()).collect();
    for mobile in &mobiles {
        let body =
            json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": unique("dev_") });
        let (status, answer) = invoke(&sender, "sms-send", |e| {
            with_body(e, body);
            from_ip(e, &unique_ip());
        })
        .await;
        answers.push((status, answer["error"]["code"].as_str().unwrap_or("").to_string()));
    }

    // then five are sent and three refused until the next hour
    assert!(answers[..5].iter().all(|a| a.0 == StatusCode::OK), "{answers:?}");
    assert!(answers[5..].iter().all(|a| a == &(StatusCode::TOO_MANY_REQUESTS, "sms_global_limit".to_string())), "{answers:?}");
    let mut delivered = 0;
    for mobile in &mobiles {
        delivered += sms_to(&format!("+86{mobile}")).await.len();
    }
    assert_eq!(delivered, 5);
    // and each refusal logged the line an alarm is set on, with no mobile in it
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let alarms: Vec<&str> = text.lines().filter(|l| l.contains("\"alarm\":\"sms_global_hourly_ceiling\"")).collect();
    assert_eq!(alarms.len(), 3, "{text}");
    assert!(mobiles.iter().all(|m| !text.contains(m.as_str())), "a mobile reached the logs");
    println!("sms ceiling: 8 sends against a global ceiling of 5 an hour → {delivered} delivered, 3 sms_global_limit, 3 alarm lines");
}
