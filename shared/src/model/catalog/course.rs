//! A release's course: its controls and one route per route code. Stored with the release
//! (`keys::release`), so a session launched on a release reads the course it was launched on
//! whatever is published after it.

use serde::{Deserialize, Serialize};

/// The punch radius of a control the course does not give one.
pub const DEFAULT_RADIUS_M: i64 = 15;
/// The punch radii a control may have.
pub const RADIUS_RANGE_M: std::ops::RangeInclusive<i64> = 5..=100;

crate::plain_enum! {
    /// What a control is on the course (IOF `ControlType`: Start, Control, Finish).
    pub enum ControlKind {
        Start = "start",
        Control = "control",
        Finish = "finish",
    }
}

crate::plain_enum! {
    /// How a route is run: `classic`, the controls in a fixed order; `score`, any of them in any
    /// order, each counting its points once.
    pub enum RouteKind {
        Classic = "classic",
        Score = "score",
    }
}

/// A control: where it is (WGS-84 degrees) and how close a punch must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub code: String,
    pub kind: ControlKind,
    pub lat: f64,
    pub lng: f64,
    pub radius_m: i64,
    /// Score courses only: what visiting it is worth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
}

/// One route of the release. `controls` are codes of the release's controls, start first and
/// finish last; for a score route the ones between are those that count, in any order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub route_code: String,
    pub kind: RouteKind,
    pub controls: Vec<String>,
    /// Score routes: the time allowed, the penalty per started minute past it, and how late a
    /// runner may be before the result is `OverTime` (not ranked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_s: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_points_per_started_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_late_s: Option<i64>,
}

/// A map exchange on a route (IOF: a `Start` in the middle of a course, OCAD's second start of
/// a two-sided sprint map, Purple Pen's map exchange): where the runner turns to the next map.
/// Not a control to punch and not a split: the leg across it is timed as one leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapExchange {
    /// How many of the route's `controls` come before it: it lies on the leg from
    /// `controls[after - 1]` to `controls[after]`.
    pub after: usize,
    pub code: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub controls: Vec<Control>,
    pub routes: Vec<Route>,
}

impl Course {
    /// The contract's `control_count`: the controls to visit, start and finish not counted.
    pub fn control_count(&self) -> i64 {
        self.controls.iter().filter(|c| c.kind == ControlKind::Control).count() as i64
    }

    /// The contract's `route_codes`, in the course's order (the first is the default route).
    pub fn route_codes(&self) -> Vec<String> {
        self.routes.iter().map(|r| r.route_code.clone()).collect()
    }

    pub fn control(&self, code: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.code == code)
    }

    pub fn route(&self, route_code: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.route_code == route_code)
    }

    /// The course of one route: that route and only its controls (what a session freezes).
    pub fn of_route(&self, route_code: &str) -> Option<Course> {
        let route = self.route(route_code)?.clone();
        let controls = self.controls.iter().filter(|c| route.controls.contains(&c.code)).cloned().collect();
        Some(Course { controls, routes: vec![route] })
    }
}
