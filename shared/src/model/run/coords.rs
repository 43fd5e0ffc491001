//! Coordinates as phones report them: the datum (`wgs84`, or China's `gcj02`) converted to
//! WGS-84 on arrival, and the great-circle distance punches are judged by.

crate::plain_enum! {
    /// The datum of a sample or punch. A WeChat mini-program's location API answers GCJ-02
    /// unless asked otherwise; everything stored is WGS-84.
    pub enum CoordSys {
        Wgs84 = "wgs84",
        Gcj02 = "gcj02",
    }
}

/// `(lat, lng)` in WGS-84.
pub fn to_wgs84(sys: CoordSys, lat: f64, lng: f64) -> (f64, f64) {
    match sys {
        CoordSys::Wgs84 => (lat, lng),
        CoordSys::Gcj02 => gcj02_to_wgs84(lat, lng),
    }
}

// The published GCJ-02 obfuscation (Krasovsky 1940 ellipsoid).
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// GCJ-02 only shifts points inside China's bounding box; elsewhere it is WGS-84.
fn outside_china(lat: f64, lng: f64) -> bool {
    !(72.004..=137.8347).contains(&lng) || !(0.8293..=55.8271).contains(&lat)
}

fn shift(lat: f64, lng: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (lng - 105.0, lat - 35.0);
    let wave = |a: f64, b: f64| (20.0 * (6.0 * a * PI).sin() + 20.0 * (2.0 * a * PI).sin()) * 2.0 / 3.0 + b;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat = wave(x, dlat) + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlng = wave(x, dlng) + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlng += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat.to_radians();
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlng = (dlng * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (dlat, dlng)
}

/// WGS-84 → GCJ-02 (the forward transform; tests and the inverse use it).
pub fn wgs84_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    if outside_china(lat, lng) {
        return (lat, lng);
    }
    let (dlat, dlng) = shift(lat, lng);
    (lat + dlat, lng + dlng)
}

/// GCJ-02 → WGS-84. The transform has no closed inverse: the usual one-step estimate is off
/// by metres, so it is refined until the forward transform lands within ~1 cm.
pub fn gcj02_to_wgs84(lat: f64, lng: f64) -> (f64, f64) {
    if outside_china(lat, lng) {
        return (lat, lng);
    }
    let (mut wlat, mut wlng) = (lat, lng);
    for _ in 0..10 {
        let (glat, glng) = wgs84_to_gcj02(wlat, wlng);
        let (elat, elng) = (glat - lat, glng - lng);
        wlat -= elat;
        wlng -= elng;
        if elat.abs() < 1e-9 && elng.abs() < 1e-9 {
            break;
        }
    }
    (wlat, wlng)
}

/// Great-circle (haversine) distance in metres on the mean Earth radius.
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    use geo::{Distance, Haversine, Point};
    Haversine.distance(Point::new(lng1, lat1), Point::new(lng2, lat2))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published pairs (WGS-84 → GCJ-02) from the reference implementations (wandergis/coordtransform
    // and its ports): Beijing, and a point near Shanghai.
    type LatLng = (f64, f64);
    const PAIRS: &[(LatLng, LatLng)] = &[
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
        ((30.6107779, 121.0917077), (30.608604331756705, 121.09626935575027)),
    ];

    #[test]
    fn gcj02_points_convert_to_their_published_wgs84_within_2_m() {
        for &((lat, lng), (glat, glng)) in PAIRS {
            // given the forward transform reproduces the published GCJ-02 point
            let (flat, flng) = wgs84_to_gcj02(lat, lng);
            assert!(distance_m(flat, flng, glat, glng) < 0.01, "forward {lat},{lng}");
            // when the GCJ-02 point is converted back, then it is the WGS-84 point
            let (wlat, wlng) = to_wgs84(CoordSys::Gcj02, glat, glng);
            let off = distance_m(wlat, wlng, lat, lng);
            assert!(off < 2.0, "{lat},{lng} is {off} m off");
            // and the raw GCJ-02 point is hundreds of metres off the map
            assert!(distance_m(glat, glng, lat, lng) > 300.0);
        }
    }

    #[test]
    fn outside_china_gcj02_is_wgs84() {
        assert_eq!(to_wgs84(CoordSys::Gcj02, 59.3293, 18.0686), (59.3293, 18.0686));
        assert_eq!(to_wgs84(CoordSys::Wgs84, 39.915, 116.404), (39.915, 116.404));
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude on the mean-radius sphere: 111.195 km.
        assert!((distance_m(0.0, 0.0, 1.0, 0.0) - 111_195.0).abs() < 1.0);
        // Paris (48.8566, 2.3522) – London (51.5074, -0.1278): ≈ 343.5 km.
        let d = distance_m(48.8566, 2.3522, 51.5074, -0.1278);
        assert!((d - 343_500.0).abs() < 1_000.0, "{d}");
        assert_eq!(distance_m(31.2, 121.4, 31.2, 121.4), 0.0);
    }
}
