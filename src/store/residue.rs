//! The residue check behind `GET /v1/subjects/{ref}/residue`: instead of trusting a list of tables, it looks for
//! the clear reference in every text and binary column of every table (SQLite and PostgreSQL), and, for SQLite, in
//! the bytes of the database file and of its write-ahead log. The subject's pseudonym is not a copy.
//!
//! A stored value counts as a copy when it holds the reference delimited (not inside a longer reference or token:
//! "APP-3" is not found in "APP-30" or in a timestamp). Values that hold it only inside a longer token are what
//! the file scan uses to tell live data from leftovers (see `file_scan`).

use std::collections::BTreeMap;

use memchr::memmem;
use sqlx::AnyConnection;

use super::{file_scan, Backend, Store, StoreError};

/// Values holding the reference inside a longer token, kept to explain file bytes; beyond these bounds the file
/// scan explains less and so reports more (it never reports less).
const MAX_EXPLAINERS: usize = 10_000;
const MAX_EXPLAINER_BYTES: usize = 8 << 20;
/// Values read per column: a reference so short that it occurs in most rows reports at most this many copies there.
const MAX_VALUES_PER_COLUMN: usize = 100_000;

#[derive(Debug, Default)]
pub struct Scan {
    /// `table.column` -> values holding a delimited copy of the reference.
    pub stored_copies: BTreeMap<String, i64>,
    pub database_file_copies: i64,
    pub wal_file_copies: i64,
}

/// Scans the whole database for `subject`. Reads only, outside any write transaction (it may take a while on a
/// large database).
pub async fn scan(store: &Store, subject: &str) -> Result<Scan, StoreError> {
    let needle = subject.as_bytes().to_vec();
    let mut conn = store.acquire().await?;
    let mut result = Scan::default();
    let mut explainers = Explainers::default();
    for column in columns(&mut conn, store.backend()).await? {
        let values = values_containing(&mut conn, store.backend(), &column, subject).await?;
        let copies = values.iter().filter(|v| delimited(v, &needle)).count();
        if copies > 0 {
            result.stored_copies.insert(format!("{}.{}", column.table, column.name), copies as i64);
        }
        values.into_iter().filter(|v| !delimited(v, &needle)).for_each(|v| explainers.add(v));
    }
    drop(conn);
    if let Some(db) = store.sqlite_file().map(std::path::Path::to_path_buf) {
        let explainers = explainers.values;
        let scanned = tokio::task::spawn_blocking(move || -> std::io::Result<(i64, i64)> {
            let mut wal = db.clone().into_os_string();
            wal.push("-wal");
            Ok((
                file_scan::unexplained_copies(&db, &needle, &explainers)?,
                file_scan::unexplained_copies_in_log(std::path::Path::new(&wal), &needle, &explainers)?,
            ))
        })
        .await
        .map_err(|_| StoreError::Corrupt("residue file scan"))?
        .map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
        (result.database_file_copies, result.wal_file_copies) = scanned;
    }
    Ok(result)
}

#[derive(Default)]
struct Explainers {
    values: Vec<Vec<u8>>,
    bytes: usize,
}

impl Explainers {
    fn add(&mut self, value: Vec<u8>) {
        if self.values.len() < MAX_EXPLAINERS && self.bytes + value.len() <= MAX_EXPLAINER_BYTES {
            self.bytes += value.len();
            self.values.push(value);
        }
    }
}

fn is_reference_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')
}

/// Whether `value` holds `needle` with no reference character right before or after it.
fn delimited(value: &[u8], needle: &[u8]) -> bool {
    memmem::find_iter(value, needle).any(|i| {
        let before = i.checked_sub(1).map(|j| value[j]);
        let after = value.get(i + needle.len()).copied();
        !before.is_some_and(is_reference_byte) && !after.is_some_and(is_reference_byte)
    })
}

struct Column {
    table: String,
    name: String,
    binary: bool,
}

/// Every text or binary column of every table of the schema in use.
async fn columns(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Column>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, p.name AS col, upper(p.type) AS ty
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        }
        Backend::Postgres => {
            "SELECT c.table_name::text AS tbl, c.column_name::text AS col, upper(c.data_type::text) AS ty
             FROM information_schema.columns c JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
             ORDER BY c.table_name, c.ordinal_position"
        }
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(sql).fetch_all(conn).await?;
    let mut columns = Vec::new();
    for (table, name, ty) in rows {
        let binary = ty.contains("BLOB") || ty == "BYTEA";
        if binary || ty.contains("TEXT") || ty.contains("CHAR") || ty.contains("CLOB") {
            columns.push(Column { table, name, binary });
        }
    }
    Ok(columns)
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The values of `column` that contain `subject` anywhere.
async fn values_containing(
    conn: &mut AnyConnection,
    backend: Backend,
    column: &Column,
    subject: &str,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let (table, col) = (quoted(&column.table), quoted(&column.name));
    let condition = match (backend, column.binary) {
        (Backend::Sqlite, false) => format!("instr({col}, $1) > 0"),
        (Backend::Sqlite, true) => format!("instr({col}, CAST($1 AS BLOB)) > 0"),
        (Backend::Postgres, false) => format!("strpos({col}, $1) > 0"),
        (Backend::Postgres, true) => format!("position(convert_to($1, 'UTF8') in {col}) > 0"),
    };
    let sql = format!("SELECT {col} AS v FROM {table} WHERE {condition} LIMIT {MAX_VALUES_PER_COLUMN}");
    Ok(if column.binary {
        sqlx::query_scalar(&sql).bind(subject).fetch_all(conn).await?
    } else {
        let text: Vec<String> = sqlx::query_scalar(&sql).bind(subject).fetch_all(conn).await?;
        text.into_iter().map(String::into_bytes).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_the_reference_not_part_of_a_longer_token() {
        for value in ["APP-3", "subject APP-3 erased", "{\"s\":\"APP-3\"}", "x APP-30 APP-3"] {
            assert!(delimited(value.as_bytes(), b"APP-3"), "{value}");
        }
        for value in ["APP-30", "XAPP-3", "2026-APP-3.1", "APP-31 APP-3a"] {
            assert!(!delimited(value.as_bytes(), b"APP-3"), "{value}");
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quoted("audit_log"), "\"audit_log\"");
        assert_eq!(quoted("we\"ird"), "\"we\"\"ird\"");
    }
}
