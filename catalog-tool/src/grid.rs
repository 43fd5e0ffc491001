//! A course file's grid (`course.crs`, an EPSG code): its easting/northing to WGS-84 degrees.

use proj4rs::Proj;

/// A projected grid whose positions convert to WGS-84.
pub struct Grid {
    name: String,
    from: Proj,
    to: Proj,
}

impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Grid {
    /// The grid `crs` names (`EPSG:27700`), or why it cannot be used.
    pub fn parse(crs: &str) -> Result<Grid, String> {
        let code = crs
            .trim()
            .split_once(':')
            .filter(|(authority, _)| authority.eq_ignore_ascii_case("EPSG"))
            .and_then(|(_, code)| code.trim().parse::<u16>().ok())
            .ok_or_else(|| {
                format!("{crs:?} is not an EPSG code: give the map's grid as EPSG:<number>, e.g. EPSG:27700 (British National Grid)")
            })?;
        let from = Proj::from_epsg_code(code).map_err(|_| {
            format!("{crs:?} is not a coordinate reference system this tool knows: check the EPSG code of the map's grid (e.g. EPSG:27700)")
        })?;
        let to = Proj::from_epsg_code(4326).expect("WGS-84 is defined");
        Ok(Grid { name: format!("EPSG:{code}"), from, to })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `(lat, lng)` in WGS-84 degrees of grid `easting`/`northing` (metres), or `None` when it
    /// lies outside what the grid can convert.
    pub fn to_wgs84(&self, easting: f64, northing: f64) -> Option<(f64, f64)> {
        let mut point = if self.from.is_latlong() { (easting.to_radians(), northing.to_radians(), 0.0) } else { (easting, northing, 0.0) };
        proj4rs::transform::transform(&self.from, &self.to, &mut point).ok()?;
        let (lng, lat) = (point.0.to_degrees(), point.1.to_degrees());
        (lat.is_finite() && lng.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng)).then_some((lat, lng))
    }

    /// Grid `(easting, northing)` on the same datum, in metres: only to check the projection.
    #[cfg(test)]
    fn project(&self, lat: f64, lng: f64, geographic: &str) -> (f64, f64) {
        let geographic = Proj::from_proj_string(geographic).unwrap();
        let mut point = (lng.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&geographic, &self.from, &mut point).unwrap();
        (point.0, point.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two WGS-84 points (great circle, mean Earth radius).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        use geo::{Distance, Haversine, Point};
        Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
    }

    fn dms(d: f64, m: f64, s: f64) -> f64 {
        d + m / 60.0 + s / 3600.0
    }

    #[test]
    fn the_british_national_grid_projects_as_ordnance_survey_publishes() {
        // given Ordnance Survey's worked example ("A guide to coordinate systems in Great
        // Britain", annex C): OSGB36 lat 52°39′27.2531″N lng 1°43′4.5177″E is
        // E 651409.903 N 313177.270 (projection only, both on the OSGB36 datum)
        let grid = Grid::parse("EPSG:27700").unwrap();
        let (e, n) = grid.project(dms(52.0, 39.0, 27.2531), dms(1.0, 43.0, 4.5177), "+proj=longlat +datum=OSGB36");

        // then the projection agrees to the millimetre
        assert!((e - 651409.903).abs() < 0.001 && (n - 313177.270).abs() < 0.001, "{e} {n}");
    }

    #[test]
    fn british_grid_points_convert_to_wgs84_within_a_few_metres_of_ordnance_surveys_results() {
        // given grid points with their published ETRS89 positions (within a metre of WGS-84):
        // the example of OS's "Transformations and OSGM15 user guide" (OSTN02 worked example),
        // and TR 143 599 of the OSTN02 examples
        let grid = Grid::parse("EPSG:27700").unwrap();
        for (e, n, published) in [(651409.792, 313177.448, (52.658007833, 1.716073973)), (614300.0, 159900.0, (51.297880, 1.072628))] {
            // when converted with EPSG's 7-parameter Helmert (not OS's OSTN15 grid)
            let converted = grid.to_wgs84(e, n).unwrap();

            // then they are within 5 m (measured: 3.45 m and 2.18 m), a third of a punch radius
            let error = metres(converted, published);
            assert!(error < 5.0, "E {e} N {n}: {converted:?} is {error:.2} m from {published:?}");
        }
    }

    #[test]
    fn a_grid_is_named_by_its_epsg_code_or_refused_saying_how_to_name_it() {
        assert_eq!(Grid::parse("epsg:27700").unwrap().name(), "EPSG:27700");
        assert!(Grid::parse("27700").unwrap_err().contains("give the map's grid as EPSG:<number>"));
        assert!(Grid::parse("EPSG:1").unwrap_err().contains("not a coordinate reference system this tool knows"));
    }
}
