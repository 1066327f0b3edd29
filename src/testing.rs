//! Unit tests that need the real PostgreSQL (the SQL twin of a Rust rule): a scratch
//! database migrated with the embedded migrations, dropped when the test is done. The
//! server is found as the integration tests find it (CTODB_TEST_DATABASE_URL, else the
//! local socket and the OS user); a test that cannot reach it fails.

use tokio_postgres::{Client, NoTls};

fn server() -> tokio_postgres::Config {
    match std::env::var("CTODB_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url.parse().expect("CTODB_TEST_DATABASE_URL is not a valid URL"),
        _ => {
            let mut config = tokio_postgres::Config::new();
            config.host_path("/var/run/postgresql");
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_string());
            config.user(user);
            config
        }
    }
}

pub async fn connect(database: &str) -> Client {
    let mut config = server();
    config.dbname(database);
    let (client, connection) = config.connect(NoTls).await.unwrap_or_else(|err| {
        panic!("cannot reach the test PostgreSQL ({err}); start it or set CTODB_TEST_DATABASE_URL")
    });
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A migrated scratch database for one test.
pub struct ScratchDb {
    pub name: String,
    pub client: Client,
}

impl ScratchDb {
    pub async fn new(test: &str) -> ScratchDb {
        let name = format!("ctodb_unit_{test}");
        let admin = connect("postgres").await;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let mut client = connect(&name).await;
        crate::db::migrate::run(&mut client, &crate::db::migrate::embedded()).await.expect("migrating");
        ScratchDb { name, client }
    }

    /// Drops the database (call at the end of a passing test).
    pub async fn drop(self) {
        drop(self.client);
        let admin = connect("postgres").await;
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}
