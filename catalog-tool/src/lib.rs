//! The catalog tool: reads a catalog file, validates all of it, and publishes it to the table
//! idempotently — how the demo data reaches every local table and how an operator publishes.

pub mod course;
pub mod file;
pub mod grid;
pub mod import;
pub mod iof;
pub mod items;
pub mod manifest;
pub mod publish;
pub mod results;
pub mod validate;

pub use file::CatalogFile;
pub use import::{Action, Change, TableError};
pub use publish::ManifestStore;

use manifest::Manifest;
use shared::store::Db;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Why a file cannot be imported: every problem in it, each naming where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub problems: Vec<String>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the catalog file is invalid ({} problem(s)); nothing was written:", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportError {
    Invalid(Invalid),
    Table(TableError),
    /// The manifest bucket failed (the table is not written when an upload fails).
    Manifests(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Invalid(e) => e.fmt(f),
            ImportError::Table(e) => e.fmt(f),
            ImportError::Manifests(e) => write!(f, "manifest upload failed: {e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// Parses and validates catalog YAML; IOF files it names are read relative to the current directory.
pub fn parse(text: &str) -> Result<CatalogFile, Invalid> {
    parse_in(text, Path::new("."))
}

/// Parses catalog YAML, loads every release's course (IOF files relative to `base`), and validates it all.
pub fn parse_in(text: &str, base: &Path) -> Result<CatalogFile, Invalid> {
    let mut file: CatalogFile = serde_norway::from_str(text).map_err(|e| Invalid { problems: vec![format!("not a catalog file: {e}")] })?;
    load_courses(&mut file, base);
    let problems = validate::problems(&file);
    if problems.is_empty() { Ok(file) } else { Err(Invalid { problems }) }
}

/// Loads the course of every release of `file` (problems are kept for validation to report).
pub fn load_courses(file: &mut CatalogFile, base: &Path) {
    for event in &mut file.events {
        for release in &mut event.releases {
            release.loaded = Some(course::resolve(&release.course, base));
        }
    }
}

/// What `catalog-tool validate` says of an IOF XML file on its own, before a catalog names it:
/// every course a route, its positions in WGS-84 or in the grid `crs`.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Its routes, in the file's order, and what the catalog still has to give.
    Accepted(file::Loaded),
    /// Every cause, once each, with what to do.
    Refused(Vec<String>),
}

impl Verdict {
    pub fn of_iof(path: &Path, crs: Option<&str>) -> Verdict {
        let def = file::CourseDef {
            iof_xml: Some(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
            crs: crs.map(str::to_owned),
            ..file::CourseDef::default()
        };
        let loaded = match course::resolve(&def, path.parent().unwrap_or(Path::new("."))) {
            Ok(loaded) => loaded,
            // The file is named once, before the verdict.
            Err(problems) => {
                let at = format!("course.iof_xml {:?}: ", def.iof_xml.unwrap_or_default());
                return Verdict::Refused(problems.into_iter().map(|p| p.strip_prefix(&at).map(str::to_owned).unwrap_or(p)).collect());
            }
        };
        // IOF carries no time limit: the catalog's route gives it, so it is not the file's fault.
        let mut ruled = loaded.course.clone();
        for r in ruled.routes.iter_mut().filter(|r| r.kind == shared::model::catalog::course::RouteKind::Score && r.time_limit_s.is_none())
        {
            r.time_limit_s = Some(1);
        }
        match course::problems(&ruled) {
            problems if problems.is_empty() => Verdict::Accepted(loaded),
            problems => Verdict::Refused(problems),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accepted(loaded) => {
                let routes: Vec<String> = loaded
                    .course
                    .routes
                    .iter()
                    .map(|r| format!("{} ({}, {} controls)", r.route_code, r.kind.as_str(), r.controls.len().saturating_sub(2)))
                    .collect();
                write!(f, "accepted, {} route(s): {}", routes.len(), routes.join(", "))?;
                let mut notes = Vec::new();
                for (route, exchanges) in &loaded.map_exchanges {
                    let codes = loaded.course.route(route).map(|r| r.controls.as_slice()).unwrap_or_default();
                    let at: Vec<String> = exchanges
                        .iter()
                        .map(|x| format!("{} after {}", x.code, codes.get(x.after.wrapping_sub(1)).map(String::as_str).unwrap_or("?")))
                        .collect();
                    notes.push(format!("{route} has map exchange {}", at.join(", ")));
                }
                let score: Vec<&str> = loaded
                    .course
                    .routes
                    .iter()
                    .filter(|r| r.kind == shared::model::catalog::course::RouteKind::Score)
                    .map(|r| r.route_code.as_str())
                    .collect();
                if !score.is_empty() {
                    notes.push(format!("give {} a time_limit_s in the catalog", score.join(", ")));
                }
                if !notes.is_empty() {
                    write!(f, "\n  {}", notes.join("; "))?;
                }
                Ok(())
            }
            Verdict::Refused(problems) => {
                write!(f, "refused: {}", problems.join("\n  and: "))
            }
        }
    }
}

pub fn load(path: &Path) -> Result<CatalogFile, Invalid> {
    let text = std::fs::read_to_string(path).map_err(|e| Invalid { problems: vec![format!("{}: {e}", path.display())] })?;
    parse_in(&text, path.parent().unwrap_or(Path::new(".")))
}

/// The manifest of every release of a validated file, by release id.
pub fn manifests(file: &CatalogFile) -> Vec<Manifest> {
    let maps: HashMap<&str, &file::MapDef> = file.maps.iter().map(|m| (m.map_id.as_str(), m)).collect();
    file.events.iter().flat_map(|e| e.releases.iter().map(|r| manifest::build(e, r, maps[e.map_id.as_str()]))).collect()
}

/// What publishing a manifest does: upload it, or nothing (the same bytes are there).
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestChange {
    pub action: Action,
    pub key: String,
    pub url: String,
}

impl fmt::Display for ManifestChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9}  {:<17}  {}", self.action, "manifest", self.url)
    }
}

/// What an import did (or, dry, would do): one change per item, in write order.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub dry_run: bool,
    /// The table's items.
    pub changes: Vec<Change>,
    /// The manifests, uploaded before the table points at them.
    pub manifests: Vec<ManifestChange>,
}

impl Report {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Whether the import wrote (or would write) anything, to the table or the bucket.
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged) || self.manifests.iter().any(|m| m.action != Action::Unchanged)
    }

    pub fn uploads(&self) -> usize {
        self.manifests.iter().filter(|m| m.action == Action::Create).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.manifests {
            writeln!(f, "{m}")?;
        }
        for c in &self.changes {
            writeln!(f, "{c}")?;
        }
        let counts = [Action::Create, Action::Update, Action::Delete, Action::Unchanged].map(|a| format!("{} {a}", self.count(a)));
        let verb = if self.dry_run { "dry run, nothing written" } else { "imported" };
        let uploads = self.uploads();
        writeln!(f, "{verb}: {}; {uploads} manifest(s) to upload, {} unchanged", counts.join(", "), self.manifests.len() - uploads)
    }
}

/// Validates `file`, publishes its manifests, then brings the table in line with it (or, with
/// `dry_run`, only says how). Manifests go first: the table never points at one not yet there.
pub async fn import(db: &Db, store: &ManifestStore, file: &CatalogFile, dry_run: bool) -> Result<Report, ImportError> {
    let problems = validate::problems(file);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(Invalid { problems }));
    }
    let built = manifests(file);
    let published: HashMap<String, items::Published> = built
        .iter()
        .map(|m| (m.release_id.clone(), items::Published { url: m.url(store.base_url()), checksum: m.checksum.clone() }))
        .collect();
    let mut uploads = Vec::new();
    for m in &built {
        let action = if store.exists(&m.key()).await.map_err(ImportError::Manifests)? { Action::Unchanged } else { Action::Create };
        uploads.push(ManifestChange { action, key: m.key(), url: m.url(store.base_url()) });
    }
    let changes = import::plan(db, file, &published).await.map_err(ImportError::Table)?;
    if !dry_run {
        for (m, upload) in built.iter().zip(&uploads) {
            if upload.action == Action::Create {
                store.put(&upload.key, &m.bytes).await.map_err(ImportError::Manifests)?;
            }
        }
        import::apply(db, &changes).await.map_err(ImportError::Table)?;
    }
    Ok(Report { dry_run, changes, manifests: uploads })
}

pub async fn import_file(db: &Db, store: &ManifestStore, path: &Path, dry_run: bool) -> Result<Report, ImportError> {
    let file = load(path).map_err(ImportError::Invalid)?;
    import(db, store, &file, dry_run).await
}
