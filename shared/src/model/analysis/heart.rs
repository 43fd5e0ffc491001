//! Heart rate of a run: the series, its time-weighted average, the five training zones from the
//! body profile and the time spent in each, and the average per leg.
//!
//! **Zones.** Five zones with lower bounds at 50, 60, 70, 80 and 90 % of an intensity scale:
//! - Karvonen (heart-rate reserve) when the resting rate is known: `resting + pct × (max − resting)`;
//! - otherwise % of max: `pct × max`.
//!
//! `max` is the profile's maximum, else `220 − age` (age in whole years at the run's date), then
//! marked `max_estimated`. With neither a maximum nor a birth date there are no zones (`None`),
//! and an answer carries the series and averages without them.
//!
//! A rate exactly on a bound belongs to the zone above it. Z1 also holds everything below 60 %,
//! warm-up and standing at the start included, so the five zones add up to all the time with a
//! heart rate: nothing is reported apart.
//!
//! **Time.** A heart-rate sample counts the time until the next one, at most [`GAP_CAP_MS`]: a
//! phone that slept for five minutes does not put five minutes in one zone. The last sample counts
//! nothing (nothing follows it). Averages are weighted by the same times; a window whose samples
//! weigh nothing (a single sample) falls back to their plain mean.

use crate::model::analysis::legs::LegWindow;
use crate::model::profile::ProfileItem;
use crate::model::run::samples::Sample;
use serde::Serialize;

/// The most one sample counts for: longer gaps are a phone asleep, not a steady heart rate.
pub const GAP_CAP_MS: i64 = 10_000;
/// The lower bounds of Z1..Z5, as fractions of the scale (max, or the heart-rate reserve).
pub const ZONE_FRACTIONS: [f64; 5] = [0.5, 0.6, 0.7, 0.8, 0.9];

crate::plain_enum! {
    /// How the zone bounds were computed.
    pub enum ZoneMethod {
        /// Heart-rate reserve: the resting rate is known.
        Karvonen = "karvonen",
        PercentOfMax = "percent_of_max",
    }
}

/// What the zones are computed from: the body profile's heart fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeartProfile {
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub resting_bpm: Option<u32>,
    pub max_bpm: Option<u32>,
}

impl From<&ProfileItem> for HeartProfile {
    fn from(p: &ProfileItem) -> Self {
        HeartProfile { birth_date: p.birth_date.clone(), resting_bpm: p.resting_heart_rate_bpm, max_bpm: p.max_heart_rate_bpm }
    }
}

/// A runner's five zones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Zones {
    pub method: ZoneMethod,
    pub max_bpm: u32,
    /// `max_bpm` is `220 − age`, not the profile's.
    pub max_estimated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resting_bpm: Option<u32>,
    /// The lowest rate of Z1..Z5, in beats per minute.
    pub lower_bpm: [f64; 5],
}

impl Zones {
    /// The zone of a rate, 0 for Z1 … 4 for Z5.
    pub fn zone_of(&self, bpm: f64) -> usize {
        self.lower_bpm.iter().rposition(|&lower| bpm >= lower).unwrap_or(0)
    }
}

/// Whole years from `birth_date` (`YYYY-MM-DD`) to the UTC date of `at_ms`.
pub fn age_at(birth_date: &str, at_ms: i64) -> Option<i32> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let born = time::Date::parse(birth_date, &format).ok()?;
    let on = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000)).ok()?.date();
    let birthday_to_come = (on.month() as u8, on.day()) < (born.month() as u8, born.day());
    let age = on.year() - born.year() - i32::from(birthday_to_come);
    (age >= 0).then_some(age)
}

/// The zones of `profile` for a run on the date of `run_at_ms`; `None` when neither a maximum
/// nor a birth date is known.
pub fn zones(profile: &HeartProfile, run_at_ms: i64) -> Option<Zones> {
    let (max_bpm, max_estimated) = match profile.max_bpm {
        Some(max) => (max, false),
        None => {
            let age = age_at(profile.birth_date.as_deref()?, run_at_ms)?;
            (u32::try_from(220 - age).ok()?, true)
        }
    };
    // A resting rate at or above the maximum leaves no reserve: % of max is all that holds.
    let resting_bpm = profile.resting_bpm.filter(|&r| r < max_bpm);
    let (method, lower_bpm) = match resting_bpm {
        Some(rest) => {
            let reserve = f64::from(max_bpm - rest);
            (ZoneMethod::Karvonen, ZONE_FRACTIONS.map(|f| f64::from(rest) + f * reserve))
        }
        None => (ZoneMethod::PercentOfMax, ZONE_FRACTIONS.map(|f| f * f64::from(max_bpm))),
    };
    Some(Zones { method, max_bpm, max_estimated, resting_bpm, lower_bpm })
}

/// The average heart rate of one leg.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegHeartRate {
    pub from: String,
    pub to: String,
    pub average: Option<f64>,
}

/// The heart-rate answer: `time` (ms from the run's start) and `heart_rate_bpm` index-aligned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeartRate {
    pub time: Vec<i64>,
    pub heart_rate_bpm: Vec<i64>,
    pub average: Option<f64>,
    pub max: Option<i64>,
    pub zones: Option<Zones>,
    /// Seconds in Z1..Z5; `None` without zones.
    pub time_in_zone_s: Option<[f64; 5]>,
    pub legs: Vec<LegHeartRate>,
}

/// `(t, bpm)` of the samples that carry a heart rate, in time order.
fn series(samples: &[Sample]) -> Vec<(i64, i64)> {
    samples.iter().filter_map(|s| s.heart_rate_bpm.map(|hr| (s.t, hr))).collect()
}

/// Each sample in `[from, to)` with the milliseconds it counts for (see the module's rules).
fn weighted(series: &[(i64, i64)], from: i64, to: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
    series.iter().enumerate().filter(move |(_, (t, _))| (from..to).contains(t)).map(move |(i, &(t, bpm))| {
        let next = series.get(i + 1).map_or(t, |n| n.0);
        (bpm, next.min(t + GAP_CAP_MS).min(to) - t)
    })
}

fn average_of(series: &[(i64, i64)], from: i64, to: i64) -> Option<f64> {
    let (mut sum, mut weight, mut plain, mut count) = (0.0, 0i64, 0.0, 0usize);
    for (bpm, ms) in weighted(series, from, to) {
        sum += bpm as f64 * ms as f64;
        weight += ms;
        plain += bpm as f64;
        count += 1;
    }
    let average = if weight > 0 {
        sum / weight as f64
    } else if count > 0 {
        plain / count as f64
    } else {
        return None;
    };
    Some((average * 10.0).round() / 10.0)
}

/// The time-weighted average heart rate between two times (epoch ms, `to` excluded).
pub fn average_between(samples: &[Sample], from: i64, to: i64) -> Option<f64> {
    average_of(&series(samples), from, to)
}

/// The heart-rate answer for a run's samples (in time order, see `track::ordered`), times
/// counted from `start_ms`, with zones when known and the average over each leg's window.
pub fn heart_rate(samples: &[Sample], start_ms: i64, zones: Option<Zones>, legs: &[LegWindow]) -> HeartRate {
    let series = series(samples);
    let time_in_zone_s = zones.as_ref().map(|z| {
        let mut ms = [0i64; 5];
        for (bpm, weight) in weighted(&series, i64::MIN, i64::MAX) {
            ms[z.zone_of(bpm as f64)] += weight;
        }
        ms.map(|m| m as f64 / 1000.0)
    });
    HeartRate {
        time: series.iter().map(|(t, _)| t - start_ms).collect(),
        heart_rate_bpm: series.iter().map(|(_, hr)| *hr).collect(),
        average: average_of(&series, i64::MIN, i64::MAX),
        max: series.iter().map(|(_, hr)| *hr).max(),
        zones,
        time_in_zone_s,
        legs: legs
            .iter()
            .map(|leg| LegHeartRate {
                from: leg.from.clone(),
                to: leg.to.clone(),
                average: match (leg.from_ms, leg.to_ms) {
                    (Some(from), Some(to)) => average_of(&series, from, to),
                    _ => None,
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN_AT: i64 = 1_800_000_000_000; // 2027-01-15

    fn sample(t_s: i64, bpm: Option<i64>) -> Sample {
        Sample { t: RUN_AT + t_s * 1000, lat: 31.0, lng: 121.0, accuracy_m: 5.0, altitude_m: None, heart_rate_bpm: bpm }
    }

    fn profile(birth_date: Option<&str>, resting: Option<u32>, max: Option<u32>) -> HeartProfile {
        HeartProfile { birth_date: birth_date.map(str::to_string), resting_bpm: resting, max_bpm: max }
    }

    #[test]
    fn karvonen_when_resting_and_max_are_known_else_percent_of_max() {
        // given max 200 with resting 60, and max 200 alone
        let karvonen = zones(&profile(None, Some(60), Some(200)), RUN_AT).unwrap();
        let percent = zones(&profile(None, None, Some(200)), RUN_AT).unwrap();
        // then the bounds are resting + pct × reserve, or pct × max
        assert_eq!(karvonen.method, ZoneMethod::Karvonen);
        assert_eq!(karvonen.lower_bpm, [130.0, 144.0, 158.0, 172.0, 186.0]);
        assert_eq!(percent.method, ZoneMethod::PercentOfMax);
        assert_eq!(percent.lower_bpm, [100.0, 120.0, 140.0, 160.0, 180.0]);
        assert!(!karvonen.max_estimated && !percent.max_estimated);
    }

    #[test]
    fn a_rate_on_a_bound_is_in_the_zone_above_and_below_z1_is_z1() {
        // given % of max zones for max 200: bounds 100, 120, 140, 160, 180
        let z = zones(&profile(None, None, Some(200)), RUN_AT).unwrap();
        // then each bound opens its zone, just under it is the zone below, and anything low is Z1
        assert_eq!([100.0, 120.0, 140.0, 160.0, 180.0].map(|b| z.zone_of(b)), [0, 1, 2, 3, 4]);
        assert_eq!([119.9, 139.9, 159.9, 179.9].map(|b| z.zone_of(b)), [0, 1, 2, 3]);
        assert_eq!((z.zone_of(40.0), z.zone_of(230.0)), (0, 4));
    }

    #[test]
    fn max_is_estimated_from_age_at_the_run_date() {
        // given no max, born 1990-01-16: 36 on 2027-01-15, the day before the birthday
        let z = zones(&profile(Some("1990-01-16"), None, None), RUN_AT).unwrap();
        // then max = 220 − 36, marked estimated
        assert_eq!((z.max_bpm, z.max_estimated), (184, true));
        assert_eq!(age_at("1990-01-15", RUN_AT), Some(37));
        // and Karvonen holds with an estimated max too
        let z = zones(&profile(Some("1990-01-16"), Some(64), None), RUN_AT).unwrap();
        assert_eq!((z.method, z.lower_bpm[0]), (ZoneMethod::Karvonen, 124.0));
    }

    #[test]
    fn no_max_and_no_birth_date_means_no_zones() {
        // given a profile with only a resting rate, and one whose resting rate is not below max
        // then there are no zones; and a resting rate above max falls back to % of max
        assert_eq!(zones(&profile(None, Some(60), None), RUN_AT), None);
        assert_eq!(zones(&profile(None, Some(200), Some(180)), RUN_AT).unwrap().method, ZoneMethod::PercentOfMax);
    }

    #[test]
    fn time_in_zone_counts_each_sample_until_the_next_capped() {
        // given max 200 (bounds 100..180): 3 s at 110, then 150 for 2 s, then the phone sleeps 60 s at 185
        let samples = [
            sample(0, Some(110)),
            sample(1, Some(110)),
            sample(2, Some(110)),
            sample(3, Some(150)),
            sample(5, Some(185)),
            sample(65, None),
            sample(66, Some(185)),
        ];
        let z = zones(&profile(None, None, Some(200)), RUN_AT);
        // when the answer is computed
        let hr = heart_rate(&samples, RUN_AT, z, &[]);
        // then the sleep counts 10 s, not 61; the last sample counts nothing
        assert_eq!(hr.time_in_zone_s, Some([3.0, 0.0, 2.0, 0.0, 10.0]));
        assert_eq!(hr.time, vec![0, 1_000, 2_000, 3_000, 5_000, 66_000]);
        assert_eq!(hr.max, Some(185));
        // and the average weighs by the same times: (110×3 + 150×2 + 185×10) / 15
        assert_eq!(hr.average, Some(165.3));
    }

    #[test]
    fn average_per_leg_is_over_the_legs_window() {
        // given 10 s at 120 then 10 s at 160
        let samples: Vec<_> = (0..20).map(|t| sample(t, Some(if t < 10 { 120 } else { 160 }))).collect();
        let legs = [
            LegWindow { from: "S1".into(), to: "31".into(), from_ms: Some(RUN_AT), to_ms: Some(RUN_AT + 10_000) },
            LegWindow { from: "31".into(), to: "F1".into(), from_ms: Some(RUN_AT + 10_000), to_ms: Some(RUN_AT + 20_000) },
            LegWindow { from: "F1".into(), to: "32".into(), from_ms: None, to_ms: None },
        ];
        // when computed
        let hr = heart_rate(&samples, RUN_AT, None, &legs);
        // then each leg has its own average; an untimed leg none; no zones, no time in zone
        let averages: Vec<_> = hr.legs.iter().map(|l| l.average).collect();
        assert_eq!(averages, vec![Some(120.0), Some(160.0), None]);
        assert_eq!(hr.time_in_zone_s, None);
    }

    #[test]
    fn no_samples_is_an_empty_answer() {
        // given no heart rate at all
        let z = zones(&profile(None, None, Some(190)), RUN_AT);
        // when computed
        let hr = heart_rate(&[sample(0, None)], RUN_AT, z, &[]);
        // then empty series, no average or max, zero time in every zone
        assert!(hr.time.is_empty() && hr.heart_rate_bpm.is_empty());
        assert_eq!((hr.average, hr.max), (None, None));
        assert_eq!(hr.time_in_zone_s, Some([0.0; 5]));
        assert_eq!(average_between(&[], 0, 1), None);
    }
}
