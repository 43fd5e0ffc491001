//! `catalog-tool import FILE [--dry-run]` | `catalog-tool validate FILE` |
//! `catalog-tool results EVENT_ID ROUTE_CODE [RELEASE_ID]` |
//! `catalog-tool rejudge COMPETITION_ID EVENT_ID ROUTE_CODE`.

use shared::store::{Db, sdk_config};
use shared::support::config::Common;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: catalog-tool import FILE [--dry-run]\n       catalog-tool validate FILE\n\
                     \x20      catalog-tool validate COURSES.xml [--crs EPSG:27700]   (an IOF XML file's verdict, every course a route)\n\
                     \x20      catalog-tool results EVENT_ID ROUTE_CODE [RELEASE_ID]   (IOF XML 3.0 ResultList on stdout)\n\
                     \x20      catalog-tool rejudge COMPETITION_ID EVENT_ID ROUTE_CODE   (judge a board's runs again, withdraw what no longer ranks)\n\
                     import reads TABLE_NAME, MANIFEST_BUCKET, MANIFEST_BASE_URL and the usual AWS environment\n\
                     (AWS_ENDPOINT_URL for a local table and bucket)";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(tracing_subscriber::EnvFilter::new("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["validate", file] if is_xml(file) => verdict(file, None),
        ["validate", file, "--crs", crs] if is_xml(file) => verdict(file, Some(crs)),
        ["validate", file] => match catalog_tool::load(&PathBuf::from(file)) {
            Ok(_) => {
                println!("{file}: valid");
                ExitCode::SUCCESS
            }
            Err(invalid) => fail(invalid),
        },
        ["import", file] => import(file, false).await,
        ["import", file, "--dry-run"] | ["import", "--dry-run", file] => import(file, true).await,
        ["results", event_id, route_code] => results(event_id, route_code, None).await,
        ["results", event_id, route_code, release_id] => results(event_id, route_code, Some(release_id)).await,
        ["rejudge", competition_id, event_id, route_code] => rejudge(competition_id, event_id, route_code).await,
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn is_xml(file: &str) -> bool {
    file.to_ascii_lowercase().ends_with(".xml")
}

/// An IOF XML file's verdict in a line or two: accepted with its routes, or refused for each cause.
fn verdict(file: &str, crs: Option<&str>) -> ExitCode {
    let verdict = catalog_tool::Verdict::of_iof(&PathBuf::from(file), crs);
    let name = std::path::Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    println!("{name}: {verdict}");
    if matches!(verdict, catalog_tool::Verdict::Accepted(_)) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn import(file: &str, dry_run: bool) -> ExitCode {
    let table = match Common::from_env() {
        Ok(c) => c.table_name,
        Err(e) => return fail(e),
    };
    let sdk = sdk_config().await;
    let db = Db::new(&sdk, table);
    let store = match catalog_tool::ManifestStore::from_env(&sdk) {
        Ok(store) => store,
        Err(e) => return fail(e),
    };
    match catalog_tool::import_file(&db, &store, &PathBuf::from(file), dry_run).await {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Judges every run on a competition's board again by today's rules (time order, speed, the
/// phone's own track), taking off the board those that no longer rank.
async fn rejudge(competition_id: &str, event_id: &str, route_code: &str) -> ExitCode {
    let db = match Common::from_env() {
        Ok(c) => Db::new(&sdk_config().await, c.table_name),
        Err(e) => return fail(e),
    };
    match shared::service::result::rejudge_board(&db, competition_id, event_id, route_code).await {
        Ok((judged, withdrawn)) => {
            println!("{judged} runs judged again on {competition_id} / {event_id} / {route_code}: {withdrawn} taken off the board");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// An event route's results as an IOF XML 3.0 `ResultList`, for WinSplits, Livelox and the
/// federations' systems.
async fn results(event_id: &str, route_code: &str, release_id: Option<&str>) -> ExitCode {
    let db = match Common::from_env() {
        Ok(c) => Db::new(&sdk_config().await, c.table_name),
        Err(e) => return fail(e),
    };
    match catalog_tool::results::export(&db, event_id, route_code, release_id, shared::support::clock::now_ms()).await {
        Ok(xml) => {
            print!("{xml}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprint!("{e}");
    eprintln!();
    ExitCode::FAILURE
}
