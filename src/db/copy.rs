//! Binary COPY into tables: the bulk path of `seed` (and later of imports). Column types
//! come from the server, so enums (`model`'s types) and arrays are encoded exactly as it
//! expects.

use std::pin::Pin;

use indicatif::ProgressBar;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Transaction};

use super::DbError;

/// The column types of `table (columns)` as the server sees them.
pub async fn column_types(
    client: &impl GenericClient,
    table: &str,
    columns: &[&str],
) -> Result<Vec<Type>, DbError> {
    // Table and column names here are ctodb's own constants, never user input.
    let probe = format!("SELECT {} FROM {table} LIMIT 0", columns.join(", "));
    let statement =
        client.prepare(&probe).await.map_err(|err| DbError::query(&format!("copy/{table}/types"), err))?;
    Ok(statement.columns().iter().map(|c| c.type_().clone()).collect())
}

/// An open `COPY table (columns) FROM STDIN (FORMAT binary)` with a progress bar.
pub struct CopyIn {
    table: &'static str,
    started: std::time::Instant,
    writer: Pin<Box<BinaryCopyInWriter>>,
    progress: ProgressBar,
}

impl CopyIn {
    pub async fn start(
        tx: &Transaction<'_>,
        table: &'static str,
        columns: &[&str],
        progress: ProgressBar,
    ) -> Result<CopyIn, DbError> {
        let types = column_types(tx, table, columns).await?;
        let statement = format!("COPY {table} ({}) FROM STDIN (FORMAT binary)", columns.join(", "));
        let sink =
            tx.copy_in(&statement).await.map_err(|err| DbError::query(&format!("copy/{table}"), err))?;
        Ok(CopyIn {
            table,
            started: std::time::Instant::now(),
            writer: Box::pin(BinaryCopyInWriter::new(sink, &types)),
            progress,
        })
    }

    pub async fn write(&mut self, row: &[&(dyn ToSql + Sync)]) -> Result<(), DbError> {
        self.writer
            .as_mut()
            .write(row)
            .await
            .map_err(|err| DbError::query(&format!("copy/{}", self.table), err))?;
        self.progress.inc(1);
        Ok(())
    }

    /// Completes the COPY and returns the number of rows the server took.
    pub async fn finish(mut self) -> Result<u64, DbError> {
        let rows = self
            .writer
            .as_mut()
            .finish()
            .await
            .map_err(|err| DbError::query(&format!("copy/{}", self.table), err))?;
        self.progress.finish_and_clear();
        let seconds = self.started.elapsed().as_secs_f64();
        crate::ui::verbose(&format!(
            "copy {}: {rows} rows in {seconds:.2} s ({:.0} rows/s)",
            self.table,
            rows as f64 / seconds.max(1e-9)
        ));
        Ok(rows)
    }
}
