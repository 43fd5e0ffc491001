//! The catalog tool: reads a catalog file, validates all of it, and publishes it to the table
//! idempotently — how the demo data reaches every local table and how an operator publishes.

pub mod course;
pub mod file;
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
use shared::store::db::Db;
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
