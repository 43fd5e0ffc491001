//! A run's track as a GPX 1.1 file that other apps open: one track segment of every sample, with
//! heart rate in Garmin's TrackPointExtension v1 (what Strava, Garmin Connect and most readers take).

use crate::model::analysis::track::{Track, round_degrees, round_metres};
use crate::support::clock::rfc3339_ms;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;

pub const CONTENT_TYPE: &str = "application/gpx+xml";
pub const GPX_NAMESPACE: &str = "http://www.topografix.com/GPX/1/1";
pub const TPX_NAMESPACE: &str = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1";
const SCHEMA_LOCATION: &str = "http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd \
     http://www.garmin.com/xmlschemas/TrackPointExtension/v1 http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd";

/// The GPX document of `track`: `name` names the track (and the file's metadata), `creator` is
/// the producing software, as GPX requires. Times are UTC with milliseconds. A sample's
/// altitude becomes `ele` and its heart rate `gpxtpx:hr` only when the phone gave them.
/// The most track points a GPX answer holds: about 250 bytes a point, so about 5 MB, under
/// Lambda's 6 MB answer. 20,000 is every sample of 5 h 33 min at 1 Hz; a longer track (a
/// session holds up to 12 hours) is thinned to this, keeping its shape.
pub const MAX_POINTS: usize = 20_000;

pub fn gpx(track: &Track, name: &str, creator: &str) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 1);
    write(&mut writer, track, name, creator).expect("writing to memory does not fail");
    String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given")
}

fn write(w: &mut Writer<Vec<u8>>, track: &Track, name: &str, creator: &str) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("gpx")
        .with_attributes([
            ("version", "1.1"),
            ("creator", creator),
            ("xmlns", GPX_NAMESPACE),
            ("xmlns:gpxtpx", TPX_NAMESPACE),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xsi:schemaLocation", SCHEMA_LOCATION),
        ])
        .write_inner_content(|w| {
            w.create_element("metadata").write_inner_content(|w| {
                w.create_element("name").write_text_content(BytesText::new(name))?;
                if let Some(first) = track.samples().first() {
                    w.create_element("time").write_text_content(BytesText::new(&rfc3339_ms(first.t)))?;
                }
                Ok(())
            })?;
            w.create_element("trk").write_inner_content(|w| {
                w.create_element("name").write_text_content(BytesText::new(name))?;
                w.create_element("trkseg").write_inner_content(|w| {
                    for s in track.samples() {
                        let (lat, lon) = (round_degrees(s.lat).to_string(), round_degrees(s.lng).to_string());
                        w.create_element("trkpt").with_attributes([("lat", lat.as_str()), ("lon", lon.as_str())]).write_inner_content(
                            |w| {
                                if let Some(ele) = s.altitude_m {
                                    w.create_element("ele").write_text_content(BytesText::new(&round_metres(ele).to_string()))?;
                                }
                                w.create_element("time").write_text_content(BytesText::new(&rfc3339_ms(s.t)))?;
                                // The extension's type is an unsignedByte of at least 1.
                                if let Some(hr) = s.heart_rate_bpm.filter(|hr| (1..=255).contains(hr)) {
                                    w.create_element("extensions").write_inner_content(|w| {
                                        w.create_element("gpxtpx:TrackPointExtension").write_inner_content(|w| {
                                            w.create_element("gpxtpx:hr").write_text_content(BytesText::new(&hr.to_string()))?;
                                            Ok(())
                                        })?;
                                        Ok(())
                                    })?;
                                }
                                Ok(())
                            },
                        )?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::track::tests::at;

    #[test]
    fn the_longest_session_answers_under_lambdas_6_mb_in_gpx_and_in_streams() {
        // given the most track a session holds: 12 hours at 1 Hz with altitude and heart rate
        let two_hours = crate::model::analysis::track::tests::two_hours();
        let twelve_hours: Vec<_> = (0..6)
            .flat_map(|i| two_hours.iter().map(move |s| crate::model::run::samples::Sample { t: s.t + i * 7_200_000, ..*s }))
            .collect();
        assert_eq!(twelve_hours.len() as u32, crate::model::run::samples::MAX_SESSION_SAMPLES);
        let track = Track::new(twelve_hours);
        // when it is answered whole, as GPX (thinned to its cap) and as streams
        let xml = gpx(&track.thinned(MAX_POINTS), "12 h", "client-api");
        let streams = serde_json::to_vec(&track.streams(track.samples()[0].t, crate::model::analysis::track::Resolution::Full)).unwrap();
        // then both fit in an answer
        let points = xml.matches("<trkpt ").count();
        assert!(points <= MAX_POINTS && points > MAX_POINTS * 9 / 10, "{points} points");
        assert!(xml.len() < 6_000_000 && streams.len() < 6_000_000, "GPX {} bytes, streams {} bytes", xml.len(), streams.len());
        println!(
            "gpx: 12 h at 1 Hz (43,200 samples) → GPX {} points {} KB, full streams {} KB (under 6 MB)",
            points,
            xml.len() / 1024,
            streams.len() / 1024
        );
    }

    #[test]
    fn a_track_point_carries_position_elevation_time_and_heart_rate() {
        // given two fixes, the second without altitude or heart rate
        let mut second = at(1, 10.0, 0.0);
        second.altitude_m = None;
        second.heart_rate_bpm = None;
        let track = Track::new([at(0, 0.0, 0.0), second]);
        // when written as GPX
        let xml = gpx(&track, "Morning <run> & \"splits\"", "client-api");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        // then the namespaces are GPX 1.1 and Garmin's, and the name is escaped, not markup
        let root = doc.root_element();
        assert_eq!((root.tag_name().namespace(), root.attribute("version")), (Some(GPX_NAMESPACE), Some("1.1")));
        let names: Vec<_> = doc.descendants().filter(|n| n.has_tag_name((GPX_NAMESPACE, "name"))).map(|n| n.text()).collect();
        assert_eq!(names, vec![Some("Morning <run> & \"splits\""); 2]);
        let points: Vec<_> = doc.descendants().filter(|n| n.has_tag_name((GPX_NAMESPACE, "trkpt"))).collect();
        assert_eq!(points.len(), 2);
        let child = |n: roxmltree::Node, ns: &str, name: &str| {
            n.descendants().find(|c| c.has_tag_name((ns, name))).and_then(|c| c.text().map(str::to_string))
        };
        assert_eq!(points[0].attribute("lat"), Some("31.2304"));
        assert_eq!(child(points[0], GPX_NAMESPACE, "ele").as_deref(), Some("10"));
        assert_eq!(child(points[0], GPX_NAMESPACE, "time").as_deref(), Some("2027-01-15T08:00:00.000Z"));
        assert_eq!(child(points[0], TPX_NAMESPACE, "hr").as_deref(), Some("140"));
        // and a fix without them has neither
        assert_eq!(child(points[1], GPX_NAMESPACE, "ele"), None);
        assert_eq!(child(points[1], TPX_NAMESPACE, "hr"), None);
        assert_eq!(child(points[1], GPX_NAMESPACE, "time").as_deref(), Some("2027-01-15T08:00:01.000Z"));
    }

    #[test]
    fn an_empty_track_is_still_a_gpx_document() {
        // given no samples
        // when written
        let xml = gpx(&Track::new([]), "Empty", "client-api");
        // then a document with an empty segment
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        assert!(doc.descendants().any(|n| n.has_tag_name((GPX_NAMESPACE, "trkseg"))));
        assert!(!doc.descendants().any(|n| n.has_tag_name((GPX_NAMESPACE, "trkpt"))));
    }
}
