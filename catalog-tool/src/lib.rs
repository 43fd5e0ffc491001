//! The catalog tool: reads a catalog file, validates all of it, and publishes it to the table
//! idempotently — how the demo data reaches every local table and how an operator publishes.

pub mod file;
pub mod import;
pub mod items;
pub mod validate;

pub use file::CatalogFile;
pub use import::{Action, Change, TableError};

use shared::store::db::Db;
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
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Invalid(e) => e.fmt(f),
            ImportError::Table(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ImportError {}

/// Parses and validates catalog YAML.
pub fn parse(text: &str) -> Result<CatalogFile, Invalid> {
    let file: CatalogFile = serde_norway::from_str(text).map_err(|e| Invalid { problems: vec![format!("not a catalog file: {e}")] })?;
    let problems = validate::problems(&file);
    if problems.is_empty() { Ok(file) } else { Err(Invalid { problems }) }
}

pub fn load(path: &Path) -> Result<CatalogFile, Invalid> {
    let text = std::fs::read_to_string(path).map_err(|e| Invalid { problems: vec![format!("{}: {e}", path.display())] })?;
    parse(&text)
}

/// What an import did (or, dry, would do): one change per item, in write order.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub dry_run: bool,
    pub changes: Vec<Change>,
}

impl Report {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Whether the import wrote (or would write) anything.
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            writeln!(f, "{c}")?;
        }
        let counts = [Action::Create, Action::Update, Action::Delete, Action::Unchanged].map(|a| format!("{} {a}", self.count(a)));
        let verb = if self.dry_run { "dry run, nothing written" } else { "imported" };
        writeln!(f, "{verb}: {}", counts.join(", "))
    }
}

/// Validates `file`, then brings the table in line with it (or, with `dry_run`, only says how).
pub async fn import(db: &Db, file: &CatalogFile, dry_run: bool) -> Result<Report, ImportError> {
    let problems = validate::problems(file);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(Invalid { problems }));
    }
    let changes = import::plan(db, file).await.map_err(ImportError::Table)?;
    if !dry_run {
        import::apply(db, &changes).await.map_err(ImportError::Table)?;
    }
    Ok(Report { dry_run, changes })
}

pub async fn import_file(db: &Db, path: &Path, dry_run: bool) -> Result<Report, ImportError> {
    let file = load(path).map_err(ImportError::Invalid)?;
    import(db, &file, dry_run).await
}
