//! The body profile: its stored items, the validation of an update and the completion rule.
//!
//! Two kinds of item live in the user's collection (`USER#<id>`):
//! - `PROFILE`: the current, merged profile with its `version`, `status` and `completed_at`;
//! - `PROFILE#V#<version>`: one immutable snapshot per accepted write, version 1 at user creation.
//!
//! **Completion rule:** the profile is `completed` once `gender`, `birth_date`, `height_cm` and
//! `weight_kg` are all set (the heart rates are optional). `completed_at` is stamped on the write
//! that first completes it and never changes afterwards; a profile never goes back to `pending`
//! (fields can be changed but never unset, so completeness cannot be lost anyway).

use crate::support::check::check_range;
use crate::support::error::{ApiError, ApiResult};
use crate::support::types::BodyProfileStatus;
use serde::{Deserialize, Serialize};

pub const HEIGHT_CM: (f64, f64) = (50.0, 260.0);
pub const WEIGHT_KG: (f64, f64) = (10.0, 400.0);
pub const RESTING_HR: (u32, u32) = (25, 150);
pub const MAX_HR: (u32, u32) = (60, 250);
pub const MIN_BIRTH_YEAR: i32 = 1900;

crate::plain_enum! {
    pub enum Gender {
        Male = "male",
        Female = "female",
        Other = "other",
        Unknown = "unknown",
    }
}

/// The body of `PUT /me/body-profile`: every field optional; an explicit `null` reads as absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub gender: Option<Gender>,
    pub birth_date: Option<String>,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub resting_heart_rate_bpm: Option<u32>,
    pub max_heart_rate_bpm: Option<u32>,
}

impl ProfileChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Each field on its own (the heart-rate order is checked against the stored profile in
    /// [`update`]). `now` decides what "in the future" means for `birth_date`.
    pub fn validate(&self, now: i64) -> ApiResult<()> {
        if self.is_empty() {
            return Err(ApiError::invalid("body", "nothing to update: send at least one profile field"));
        }
        if let Some(date) = &self.birth_date {
            check_birth_date(date, now)?;
        }
        check_range("height_cm", self.height_cm, HEIGHT_CM)?;
        check_range("weight_kg", self.weight_kg, WEIGHT_KG)?;
        check_range("resting_heart_rate_bpm", self.resting_heart_rate_bpm, RESTING_HR)?;
        check_range("max_heart_rate_bpm", self.max_heart_rate_bpm, MAX_HR)?;
        Ok(())
    }
}

/// `YYYY-MM-DD`, a real calendar date, from 1900 on, not after today. "Today" is taken in the
/// earliest time zone (UTC+14), so a user born today anywhere on Earth is accepted.
fn check_birth_date(value: &str, now: i64) -> ApiResult<()> {
    let invalid = |reason: &str| ApiError::invalid("birth_date", reason.to_string());
    let b = value.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(invalid("must be a date YYYY-MM-DD"));
    }
    let (year, month, day) = (value[0..4].parse::<i32>(), value[5..7].parse::<u8>(), value[8..10].parse::<u8>());
    let date = match (year, month, day) {
        (Ok(y), Ok(m), Ok(d)) => time::Month::try_from(m).ok().and_then(|m| time::Date::from_calendar_date(y, m, d).ok()),
        _ => None,
    };
    let Some(date) = date else {
        return Err(invalid("is not a calendar date"));
    };
    if date.year() < MIN_BIRTH_YEAR {
        return Err(invalid("must not be before 1900-01-01"));
    }
    let latest_today = time::OffsetDateTime::from_unix_timestamp(now + 14 * 3600).map(|t| t.date()).unwrap_or(time::Date::MAX);
    if date > latest_today {
        return Err(invalid("must not be in the future"));
    }
    Ok(())
}

/// The `PROFILE` item as stored (and, after [`ProfileItem::apply`], the merged snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileItem {
    pub user_id: String,
    pub status: BodyProfileStatus,
    pub version: u64,
    /// Epoch seconds of the first completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resting_heart_rate_bpm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_heart_rate_bpm: Option<u32>,
    /// Set once, when the user is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: i64,
}

/// One immutable snapshot of the profile per accepted write (`keys::body_profile_version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfileVersion(pub ProfileItem);

impl ProfileItem {
    /// The `pending` profile (version 1) of a user created at `now`.
    pub fn initial(user_id: &str, now: i64) -> Self {
        Self {
            user_id: user_id.to_owned(),
            status: BodyProfileStatus::Pending,
            version: 1,
            completed_at: None,
            gender: None,
            birth_date: None,
            height_cm: None,
            weight_kg: None,
            resting_heart_rate_bpm: None,
            max_heart_rate_bpm: None,
            created_at: Some(now),
            updated_at: now,
        }
    }

    /// The profile after `change` at `now`, as its next version: merged, checked, completed once
    /// the completion rule holds.
    pub fn changed(&self, change: &ProfileChange, now: i64) -> ApiResult<Self> {
        let mut next = self.clone();
        next.apply(change);
        check_heart_rates(&next, change)?;
        if next.status == BodyProfileStatus::Pending && next.is_complete() {
            next.status = BodyProfileStatus::Completed;
            next.completed_at = Some(now);
        }
        next.version = self.version + 1;
        next.updated_at = now;
        Ok(next)
    }

    /// The fields of the completion rule (see the module doc).
    pub fn is_complete(&self) -> bool {
        self.gender.is_some() && self.birth_date.is_some() && self.height_cm.is_some() && self.weight_kg.is_some()
    }

    /// Merges a change over the stored values: what the change leaves out stays as it was.
    pub fn apply(&mut self, change: &ProfileChange) {
        fn set<T: Clone>(slot: &mut Option<T>, new: &Option<T>) {
            if new.is_some() {
                slot.clone_from(new);
            }
        }
        set(&mut self.gender, &change.gender);
        set(&mut self.birth_date, &change.birth_date);
        set(&mut self.height_cm, &change.height_cm);
        set(&mut self.weight_kg, &change.weight_kg);
        set(&mut self.resting_heart_rate_bpm, &change.resting_heart_rate_bpm);
        set(&mut self.max_heart_rate_bpm, &change.max_heart_rate_bpm);
    }
}

/// The max heart rate must exceed the resting one, judged on the merged profile so a change of
/// either one alone is checked against the stored other. Names the field the caller sent.
pub fn check_heart_rates(merged: &ProfileItem, change: &ProfileChange) -> ApiResult<()> {
    match (merged.resting_heart_rate_bpm, merged.max_heart_rate_bpm) {
        (Some(resting), Some(max)) if max <= resting => {
            let field = if change.max_heart_rate_bpm.is_some() { "max_heart_rate_bpm" } else { "resting_heart_rate_bpm" };
            Err(ApiError::invalid(field, format!("max_heart_rate_bpm ({max}) must be greater than resting_heart_rate_bpm ({resting})")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_996_799; // 2026-11-29T23:59:59Z

    fn field(change: ProfileChange) -> String {
        change.validate(NOW).unwrap_err().details["field"].as_str().unwrap().to_string()
    }

    #[test]
    fn each_field_is_checked_on_its_own() {
        assert!(ProfileChange { height_cm: Some(180.0), gender: Some(Gender::Female), ..Default::default() }.validate(NOW).is_ok());
        assert_eq!(field(ProfileChange::default()), "body");
        assert_eq!(field(ProfileChange { height_cm: Some(49.9), ..Default::default() }), "height_cm");
        assert_eq!(field(ProfileChange { weight_kg: Some(f64::NAN), ..Default::default() }), "weight_kg");
        assert_eq!(field(ProfileChange { resting_heart_rate_bpm: Some(151), ..Default::default() }), "resting_heart_rate_bpm");
        assert_eq!(field(ProfileChange { max_heart_rate_bpm: Some(59), ..Default::default() }), "max_heart_rate_bpm");
    }

    #[test]
    fn a_birth_date_is_a_real_past_day_from_1900() {
        let date = |d: &str| ProfileChange { birth_date: Some(d.into()), ..Default::default() }.validate(NOW);
        assert!(date("1990-02-28").is_ok());
        assert!(date("2026-11-30").is_ok(), "already today east of UTC");
        for bad in ["1990-2-28", "1990-02-30", "1899-12-31", "2026-12-01", "19900228", "1990-02-28T00:00:00Z"] {
            assert_eq!(date(bad).unwrap_err().details["field"], "birth_date", "{bad}");
        }
    }

    #[test]
    fn a_change_merges_over_the_stored_profile_and_completes_it_once_all_four_are_set() {
        let mut profile = ProfileItem {
            user_id: "usr_1".into(),
            status: BodyProfileStatus::Pending,
            version: 1,
            completed_at: None,
            gender: Some(Gender::Male),
            birth_date: Some("1990-01-01".into()),
            height_cm: None,
            weight_kg: None,
            resting_heart_rate_bpm: Some(60),
            max_heart_rate_bpm: None,
            created_at: None,
            updated_at: 0,
        };
        profile.apply(&ProfileChange { height_cm: Some(175.0), ..Default::default() });
        assert!(!profile.is_complete());
        profile.apply(&ProfileChange { weight_kg: Some(70.0), ..Default::default() });
        assert!(profile.is_complete());
        assert_eq!((profile.gender, profile.resting_heart_rate_bpm), (Some(Gender::Male), Some(60)), "untouched fields stay");
        let change = ProfileChange { max_heart_rate_bpm: Some(55), ..Default::default() };
        profile.apply(&change);
        assert_eq!(check_heart_rates(&profile, &change).unwrap_err().details["field"], "max_heart_rate_bpm");
    }
}
