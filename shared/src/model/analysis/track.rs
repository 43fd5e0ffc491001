//! A run's track: its samples in time order, the distance along it, the index-aligned streams
//! the gps-track route answers, and downsampling that keeps the track's shape.

use crate::model::run::coords::distance_m;
use crate::model::run::samples::{Sample, ordered};
use geo::{Coord, LineString, SimplifyIdx};
use serde::Serialize;

crate::plain_enum! {
    /// How many points of a track an answer carries: `low` for a list thumbnail, `medium` for
    /// a phone's map, `high` for a zoomed replay, `full` for every sample.
    pub enum Resolution {
        Low = "low",
        Medium = "medium",
        High = "high",
        Full = "full",
    }
}

impl Resolution {
    /// The most points an answer at this resolution carries (`None`: every sample).
    pub fn max_points(self) -> Option<usize> {
        match self {
            Resolution::Low => Some(200),
            Resolution::Medium => Some(1_000),
            Resolution::High => Some(5_000),
            Resolution::Full => None,
        }
    }
}

/// A run's samples in time order with the cumulative distance at each.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    samples: Vec<Sample>,
    distance_m: Vec<f64>,
}

/// The gps-track streams, index-aligned as Strava's: entry `i` of each is the same point.
/// `time` is milliseconds from the run's start; `distance_m` is the distance along the whole
/// track to that point, so it stays true when points between are dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Streams {
    pub time: Vec<i64>,
    pub latlng: Vec<[f64; 2]>,
    pub distance_m: Vec<f64>,
    pub accuracy_m: Vec<f64>,
    pub altitude_m: Vec<Option<f64>>,
}

/// Rounding for the answer: 1e-7 degrees is about a centimetre, far below any phone's fix, and
/// a 2-hour track at `full` stays a few hundred kilobytes.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

pub fn round_degrees(value: f64) -> f64 {
    round(value, 7)
}

pub fn round_metres(value: f64) -> f64 {
    round(value, 1)
}

impl Track {
    /// The track of `samples`, in any order, repeats allowed (see [`ordered`]).
    pub fn new(samples: impl IntoIterator<Item = Sample>) -> Track {
        let samples = ordered(samples);
        let mut cumulative = Vec::with_capacity(samples.len());
        let mut total = 0.0;
        for (i, s) in samples.iter().enumerate() {
            if i > 0 {
                let p = &samples[i - 1];
                total += distance_m(p.lat, p.lng, s.lat, s.lng);
            }
            cumulative.push(total);
        }
        Track { samples, distance_m: cumulative }
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The distance along the track from its first sample to each sample.
    pub fn cumulative_distance_m(&self) -> &[f64] {
        &self.distance_m
    }

    pub fn total_distance_m(&self) -> f64 {
        self.distance_m.last().copied().unwrap_or(0.0)
    }

    /// The distance along the track at time `t` (epoch ms), interpolated between the samples
    /// around it: a punch falls between two fixes. Before the first sample 0, after the last
    /// the total.
    pub fn distance_at(&self, t: i64) -> f64 {
        let after = self.samples.partition_point(|s| s.t <= t);
        if after == 0 {
            return 0.0;
        }
        if after == self.samples.len() {
            return self.total_distance_m();
        }
        let (a, b) = (&self.samples[after - 1], &self.samples[after]);
        let (da, db) = (self.distance_m[after - 1], self.distance_m[after]);
        da + (db - da) * (t - a.t) as f64 / (b.t - a.t) as f64
    }

    /// The distance along the track between two times (epoch ms).
    pub fn distance_between(&self, from: i64, to: i64) -> f64 {
        (self.distance_at(to) - self.distance_at(from)).max(0.0)
    }

    /// The indices of at most `max_points` samples that keep the track's shape, first and last
    /// always among them, in order. Ramer–Douglas–Peucker with about the smallest tolerance that
    /// fits: a bisection over the tolerance (a larger one never keeps more points), on a log
    /// scale as tolerances run from centimetres to kilometres, stopping once within 5 % of the
    /// cap — a line of 190 points or of 200 draws the same.
    pub fn simplified(&self, max_points: usize) -> Vec<usize> {
        let n = self.samples.len();
        if n <= max_points.max(2) {
            return (0..n).collect();
        }
        let line = self.local_metres();
        let kept = |epsilon: f64| line.simplify_idx(epsilon);
        // Wider than the track: RDP keeps only the two ends.
        let mut hi = line.0.iter().map(|c| c.x.hypot(c.y)).fold(0.0, f64::max) * 2.0 + 1.0;
        let mut best = kept(hi);
        // A millimetre is far below any GPS fix: finer tolerances would not change what is drawn.
        let mut lo = 0.001;
        let good_enough = max_points - max_points / 20;
        while hi / lo > 1.001 && best.len() < good_enough {
            let mid = (lo * hi).sqrt();
            let candidate = kept(mid);
            if candidate.len() <= max_points {
                hi = mid;
                best = candidate;
            } else {
                lo = mid;
            }
        }
        best
    }

    /// The track of at most `max_points` of its samples, keeping its shape (`simplified`).
    pub fn thinned(&self, max_points: usize) -> Track {
        Track::new(self.simplified(max_points).into_iter().map(|i| self.samples[i]))
    }

    /// The samples on a plane in metres around the first one (equirectangular): RDP's tolerance
    /// is then a distance, the same north–south as east–west. Exact enough for an
    /// orienteering area of a few kilometres.
    fn local_metres(&self) -> LineString<f64> {
        let Some(origin) = self.samples.first() else { return LineString::new(vec![]) };
        let metres_per_degree = distance_m(0.0, 0.0, 1.0, 0.0);
        let cos_lat = origin.lat.to_radians().cos();
        self.samples
            .iter()
            .map(|s| Coord { x: (s.lng - origin.lng) * metres_per_degree * cos_lat, y: (s.lat - origin.lat) * metres_per_degree })
            .collect()
    }

    /// The streams at `resolution`, times counted from `start_ms` (the run's start).
    pub fn streams(&self, start_ms: i64, resolution: Resolution) -> Streams {
        match resolution.max_points() {
            Some(max) => self.streams_of(start_ms, &self.simplified(max)),
            None => self.streams_of(start_ms, &(0..self.samples.len()).collect::<Vec<_>>()),
        }
    }

    fn streams_of(&self, start_ms: i64, indices: &[usize]) -> Streams {
        let mut streams = Streams::default();
        for &i in indices {
            let s = &self.samples[i];
            streams.time.push(s.t - start_ms);
            streams.latlng.push([round_degrees(s.lat), round_degrees(s.lng)]);
            streams.distance_m.push(round_metres(self.distance_m[i]));
            streams.accuracy_m.push(round_metres(s.accuracy_m));
            streams.altitude_m.push(s.altitude_m.map(round_metres));
        }
        streams
    }

    /// At most `max_points` `[lat, lng]` pairs drawing the track's shape.
    pub fn preview(&self, max_points: usize) -> Vec<[f64; 2]> {
        self.simplified(max_points).into_iter().map(|i| [round_degrees(self.samples[i].lat), round_degrees(self.samples[i].lng)]).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A sample at `t` seconds, at `(north_m, east_m)` from a point in Shanghai.
    pub(crate) fn at(t: i64, north_m: f64, east_m: f64) -> Sample {
        let (lat0, lng0) = (31.2304, 121.4737);
        let m_per_deg = distance_m(0.0, 0.0, 1.0, 0.0);
        Sample {
            t: 1_800_000_000_000 + t * 1000,
            lat: lat0 + north_m / m_per_deg,
            lng: lng0 + east_m / (m_per_deg * lat0.to_radians().cos()),
            accuracy_m: 5.0,
            altitude_m: Some(10.0),
            heart_rate_bpm: Some(140),
        }
    }

    /// A 2-hour run at 1 Hz: a wandering path with GPS noise, turning every few minutes.
    pub(crate) fn two_hours() -> Vec<Sample> {
        let (mut north, mut east, mut heading) = (0.0f64, 0.0f64, 0.0f64);
        (0..7_200)
            .map(|t| {
                if t % 240 == 0 {
                    heading += 1.9;
                }
                let wobble = ((t * 7919) % 13) as f64 / 13.0 - 0.5;
                north += 3.0 * heading.cos() + wobble;
                east += 3.0 * heading.sin() - wobble;
                at(t, north, east)
            })
            .collect()
    }

    #[test]
    fn samples_are_ordered_and_deduplicated_by_time() {
        // given batches arriving out of order, one twice
        let (a, b, c) = (at(0, 0.0, 0.0), at(1, 10.0, 0.0), at(2, 20.0, 0.0));
        // when the track is built
        let track = Track::new([c, a, b, c, a]);
        // then one sample per time, in order, with the distance along it
        assert_eq!(track.samples(), &[a, b, c]);
        let d = track.cumulative_distance_m();
        assert!((d[1] - 10.0).abs() < 0.01 && (d[2] - 20.0).abs() < 0.01, "{d:?}");
    }

    #[test]
    fn distance_at_a_time_between_fixes_is_interpolated() {
        // given fixes 10 m apart each second
        let track = Track::new([at(0, 0.0, 0.0), at(1, 10.0, 0.0), at(2, 20.0, 0.0)]);
        let t0 = track.samples()[0].t;
        // when asked half-way between the 2nd and 3rd, and outside the track
        // then the distance is interpolated, and clamped to the track's ends
        assert!((track.distance_at(t0 + 1_500) - 15.0).abs() < 0.01);
        assert_eq!(track.distance_at(t0 - 5_000), 0.0);
        assert!((track.distance_at(t0 + 9_000) - 20.0).abs() < 0.01);
        assert!((track.distance_between(t0 + 500, t0 + 1_500) - 10.0).abs() < 0.01);
    }

    #[test]
    fn downsampling_keeps_start_end_and_corners() {
        // given a zigzag: 300 m north, 300 m east, 300 m north, one fix per metre
        let mut samples = Vec::new();
        for i in 0..300 {
            samples.push(at(i, i as f64, 0.0));
        }
        for i in 0..300 {
            samples.push(at(300 + i, 300.0, i as f64));
        }
        for i in 0..=300 {
            samples.push(at(600 + i, 300.0 + i as f64, 300.0));
        }
        let track = Track::new(samples);
        // when reduced to 10 points
        let kept = track.simplified(10);
        // then the start, both corners and the end are kept, in order, and nothing else is needed
        assert_eq!(kept, vec![0, 300, 600, 900]);
    }

    #[test]
    fn resolutions_respect_their_caps_on_a_two_hour_track() {
        // given a 2-hour track at 1 Hz
        let track = Track::new(two_hours());
        let start = track.samples()[0].t;
        for resolution in Resolution::ALL.iter().copied() {
            // when its streams are taken at each resolution
            let streams = track.streams(start, resolution);
            let n = streams.time.len();
            // then each is within its cap (full: every sample), index-aligned, ends kept
            match resolution.max_points() {
                // RDP counts jump as the tolerance moves: close to the cap, not always at it
                Some(max) => assert!(n <= max && n >= max * 3 / 4, "{resolution:?}: {n} points"),
                None => assert_eq!(n, 7_200),
            }
            assert_eq!(streams.latlng.len(), n);
            assert_eq!(streams.distance_m.len(), n);
            assert_eq!(streams.accuracy_m.len(), n);
            assert_eq!(streams.altitude_m.len(), n);
            assert_eq!((streams.time[0], streams.time[n - 1]), (0, 7_199_000));
            // the distance is the whole track's, not the simplified line's
            assert_eq!(streams.distance_m[n - 1], round_metres(track.total_distance_m()));
            assert!(streams.time.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn a_two_hour_track_answers_far_below_the_payload_limits() {
        // given a 2-hour track at 1 Hz
        let track = Track::new(two_hours());
        let start = track.samples()[0].t;
        for resolution in Resolution::ALL.iter().copied() {
            // when its streams are built and written as JSON
            let started = std::time::Instant::now();
            let json = serde_json::to_vec(&track.streams(start, resolution)).unwrap();
            let took = started.elapsed();
            // then even `full` is far below Lambda's 6 MB answer (and API Gateway's 10 MB)
            assert!(json.len() < 1_000_000, "{resolution:?}: {} bytes", json.len());
            println!("track streams: {} → {} KB JSON in {} ms (in memory)", resolution.as_str(), json.len() / 1024, took.as_millis());
        }
    }

    #[test]
    fn a_short_track_is_returned_whole_and_an_empty_one_empty() {
        // given 3 fixes on a line, and none
        let track = Track::new([at(0, 0.0, 0.0), at(1, 1.0, 0.0), at(2, 2.0, 0.0)]);
        // when taken at low resolution
        // then nothing is dropped that fits; an empty track answers empty streams
        assert_eq!(track.streams(track.samples()[0].t, Resolution::Low).time, vec![0, 1_000, 2_000]);
        assert_eq!(Track::new([]).streams(0, Resolution::Low), Streams::default());
        assert_eq!(Track::new([]).preview(300), Vec::<[f64; 2]>::new());
    }
}
