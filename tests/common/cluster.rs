//! A throwaway PostgreSQL cluster of the installed server binaries, for tests that need a
//! second server, their own configuration or a server to stop (the system server's
//! configuration is never touched). Made with initdb (trust for its own socket and
//! 127.0.0.1), started on a free port with its socket in its own folder; stopped and
//! removed when dropped. As root, the server runs as the `postgres` OS user.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestCluster {
    /// holds data/, the socket and the log; removed on drop
    root: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
}

/// The newest installed server's bin folder (Debian: /usr/lib/postgresql/N/bin).
fn server_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("the PostgreSQL server packages are installed (/usr/lib/postgresql)")
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().expect("an initdb under /usr/lib/postgresql/*/bin").1
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (free when asked; the server takes it right after).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

impl TestCluster {
    /// Makes and starts a cluster; `settings` are extra postgresql.conf lines.
    pub fn start(settings: &[&str]) -> TestCluster {
        let root = tempfile::Builder::new().prefix("ctodb-cluster-").tempdir_in("/tmp").unwrap();
        std::fs::set_permissions(root.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cluster = TestCluster { root, port: free_port(), bin: server_bin() };
        if is_root() {
            let status = Command::new("chown").arg("postgres:").arg(cluster.root.path()).status().unwrap();
            assert!(status.success(), "chown of the test cluster's folder failed");
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
        );
        let mut conf = vec![
            format!("port = {}", cluster.port),
            format!("unix_socket_directories = '{}'", cluster.socket_dir().display()),
            "listen_addresses = '127.0.0.1'".to_string(),
            "fsync = off".to_string(),
            "max_connections = 40".to_string(),
        ];
        conf.extend(settings.iter().map(|s| s.to_string()));
        let file = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push('\n');
        text.push_str(&conf.join("\n"));
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        cluster.pg_ctl("start");
        cluster
    }

    /// A hot standby of `primary`, streaming from it: made with `pg_basebackup -R` from
    /// the primary's socket, started on a port of its own.
    pub fn standby_of(primary: &TestCluster) -> TestCluster {
        let root = tempfile::Builder::new().prefix("ctodb-standby-").tempdir_in("/tmp").unwrap();
        std::fs::set_permissions(root.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let standby = TestCluster { root, port: free_port(), bin: server_bin() };
        if is_root() {
            let status = Command::new("chown").arg("postgres:").arg(standby.root.path()).status().unwrap();
            assert!(status.success(), "chown of the standby's folder failed");
        }
        let data = standby.data();
        let port = primary.port.to_string();
        standby.run(
            "pg_basebackup",
            &[
                "-D",
                data.to_str().unwrap(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                primary.socket_dir().to_str().unwrap(),
                "-p",
                &port,
                "-U",
                "postgres",
            ],
        );
        // the copied postgresql.conf names the primary's port and socket: later lines win
        let file = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str(&format!(
            "\nport = {}\nunix_socket_directories = '{}'\nhot_standby = on\n",
            standby.port,
            standby.socket_dir().display()
        ));
        std::fs::write(&file, text).unwrap();
        standby.pg_ctl("start");
        standby
    }

    /// The URL of a database of this cluster, as the superuser over the socket.
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://postgres@/{database}?host={}&port={}", self.socket_dir().display(), self.port)
    }

    /// Gives files the test put into the cluster to the server's OS user (as root).
    pub fn give_to_owner(&self, files: &[&Path]) {
        if is_root() {
            let status = Command::new("chown").arg("postgres:").args(files).status().unwrap();
            assert!(status.success(), "chown of {files:?} failed");
        }
    }

    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The folder of the server's socket.
    pub fn socket_dir(&self) -> &Path {
        self.root.path()
    }

    /// Runs one of the server's programs as the cluster's owner; asserts success.
    fn run(&self, program: &str, args: &[&str]) {
        let tool = self.bin.join(program);
        let out = if is_root() {
            Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(&tool).args(args).output()
        } else {
            Command::new(&tool).args(args).output()
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn pg_ctl(&self, action: &str) {
        let data = self.data();
        let log = self.root.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                action,
            ],
        );
    }

    /// A connection as the superuser `postgres` over the socket.
    pub fn admin(&self, database: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.socket_dir())
            .port(self.port)
            .user("postgres")
            .dbname(database)
            .connect(postgres::NoTls)
            .expect("connecting to the test cluster")
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let data = self.data();
        let tool = self.bin.join("pg_ctl");
        let args = ["-D", data.to_str().unwrap_or(""), "-m", "immediate", "-w", "stop"];
        let _ = if is_root() {
            Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(&tool).args(args).output()
        } else {
            Command::new(&tool).args(args).output()
        };
    }
}

/// A cluster where the role `ctodb_pw_test` (a superuser) must log in over TCP with its
/// password (scram-sha-256); the socket and everyone else are trusted. Returns the
/// cluster, the role and its password.
pub fn with_password_role() -> (TestCluster, &'static str, &'static str) {
    const ROLE: &str = "ctodb_pw_test";
    const PASSWORD: &str = "right-horse-battery";
    let cluster = TestCluster::start(&["password_encryption = 'scram-sha-256'"]);
    cluster
        .admin("postgres")
        .batch_execute(&format!("CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"))
        .unwrap();
    std::fs::write(
        cluster.data().join("pg_hba.conf"),
        format!("local all all trust\nhost all {ROLE} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"),
    )
    .unwrap();
    cluster.pg_ctl("reload");
    (cluster, ROLE, PASSWORD)
}
