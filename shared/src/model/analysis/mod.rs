//! After the run: the track and its GPX file, the legs, the heart rate and its zones, the
//! replay summary.

pub mod gpx;
pub mod heart;
pub mod legs;
pub mod replay;
pub mod track;
