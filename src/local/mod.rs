//! ctodb's private PostgreSQL cluster (`ctodb local`, SPEC §2's last resort): made with the
//! server binaries installed on the machine, kept in one folder, reached through a Unix
//! socket in that folder only.
//!
//! Layout of the folder (0700):
//! - `data/`     the cluster (PGDATA); its `postgresql.auto.conf` holds ctodb's settings
//! - `.s.PGSQL.<port>`  the socket, while the server runs
//! - `server.log`       the server's log
//! - `.lock`            held while a `ctodb local` command changes the cluster
//!
//! Running as root, the server runs as the `postgres` system user (PostgreSQL refuses
//! root), the folder belongs to it, and root connects as the role `root` over the socket.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{bail, Context as _, Result};

mod access;
mod binaries;

use binaries::install_hint;
pub use binaries::{find_binaries, Binaries};

/// The port of the socket's name (`.s.PGSQL.5432`); no TCP unless asked for.
pub const DEFAULT_PORT: u16 = 5432;

/// Where the private cluster lives: --data, CTODB_LOCAL, else the user's data folder
/// (`$XDG_DATA_HOME/ctodb/pg` or `~/.local/share/ctodb/pg`); for root, whose home the
/// postgres user cannot enter, `/var/lib/ctodb/pg`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CTODB_LOCAL").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if is_root() {
        return PathBuf::from("/var/lib/ctodb/pg");
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")));
    data_home.unwrap_or_else(|| PathBuf::from(".")).join("ctodb/pg")
}

/// A socket path must fit in sockaddr_un (107 bytes).
fn check_socket_path(dir: &Path) -> Result<()> {
    if dir.join(".s.PGSQL.65535.lock").as_os_str().len() > 107 {
        bail!(
            "--data {}: the path is too long for a Unix socket inside it (at most about 90 characters)",
            dir.display()
        );
    }
    Ok(())
}

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// One private cluster, by its folder.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    /// whether it listens on TCP (localhost) too: --port, or as it was last started
    pub tcp: bool,
}

/// What `status` reports.
#[derive(Debug)]
pub struct Status {
    pub initialised: bool,
    pub running: bool,
    pub version: Option<String>,
    pub data_bytes: u64,
    pub socket: PathBuf,
    pub tcp: bool,
    pub settings: Vec<(String, String)>,
}

/// The settings ctodb gives the cluster, sized for analytics on this machine.
fn settings(port: u16, tcp: bool, dir: &Path) -> Vec<(&'static str, String)> {
    let memory = total_memory_bytes().unwrap_or(4 << 30);
    let mb = |bytes: u64| format!("{}MB", bytes >> 20);
    vec![
        ("listen_addresses", if tcp { "'localhost'".into() } else { "''".into() }),
        ("port", port.to_string()),
        ("unix_socket_directories", format!("'{}'", dir.display().to_string().replace('\'', "''"))),
        ("unix_socket_permissions", "0700".into()),
        // a quarter of the memory for shared buffers, at most 4 GB
        ("shared_buffers", mb((memory / 4).clamp(128 << 20, 4 << 30))),
        ("effective_cache_size", mb((memory / 2).max(256 << 20))),
        ("work_mem", "64MB".into()),
        ("maintenance_work_mem", mb((memory / 16).clamp(64 << 20, 2 << 30))),
        // bulk loads: no archiving or replication, so COPY into new tables skips the WAL
        ("wal_level", "minimal".into()),
        ("max_wal_senders", "0".into()),
        ("max_wal_size", "4GB".into()),
        ("checkpoint_timeout", "15min".into()),
        ("max_connections", "40".into()),
        ("logging_collector", "off".into()),
    ]
}

fn total_memory_bytes() -> Option<u64> {
    let info = fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl Cluster {
    /// The cluster of CTODB_LOCAL or the default folder, at its recorded port.
    pub fn at_default() -> Cluster {
        let dir = default_dir();
        let port = recorded_port(&dir).unwrap_or(DEFAULT_PORT);
        let tcp = recorded_tcp(&dir);
        Cluster { dir, port, tcp }
    }

    pub fn new(dir: Option<PathBuf>, port: Option<u16>) -> Result<Cluster> {
        let dir = dir.unwrap_or_else(default_dir);
        let dir = if dir.is_absolute() { dir } else { std::env::current_dir()?.join(dir) };
        check_socket_path(&dir)?;
        let tcp = port.is_some() || recorded_tcp(&dir);
        let port = port.or_else(|| recorded_port(&dir)).unwrap_or(DEFAULT_PORT);
        Ok(Cluster { dir, port, tcp })
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join(format!(".s.PGSQL.{}", self.port))
    }

    /// Where it listens, as the connection settings take it.
    pub fn address(&self) -> crate::config::PrivateCluster {
        crate::config::PrivateCluster { dir: self.dir.clone(), port: self.port }
    }

    pub fn initialised(&self) -> bool {
        self.data().join("PG_VERSION").is_file()
    }

    /// The URL later commands use: the socket folder, the OS user, database ctodb.
    pub fn url(&self) -> String {
        format!("postgresql:///ctodb?host={}&port={}", encode(&self.dir.display().to_string()), self.port)
    }

    /// The URL over TCP (when it is on): localhost, with the password file that holds the
    /// generated password (psql reads `passfile` too); the URL holds no secret.
    pub fn tcp_url(&self) -> String {
        format!(
            "postgresql://{}@localhost:{}/ctodb?passfile={}",
            encode(&crate::config::os_user()),
            self.port,
            encode(&self.dir.join(access::PASSFILE).display().to_string())
        )
    }

    /// Holds the folder's lock while `f` runs, so that two `local start` at once make one
    /// cluster.
    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        fs::create_dir_all(&self.dir).with_context(|| format!("cannot create {}", self.dir.display()))?;
        let lock = crate::files::open_no_link(&self.dir.join(".lock"))
            .with_context(|| format!("cannot take the lock in {}", self.dir.display()))?;
        lock.lock().with_context(|| format!("cannot lock {}", self.dir.join(".lock").display()))?;
        let result = f();
        let _ = lock.unlock();
        result
    }

    /// Creates the cluster when missing and starts it when stopped. Returns whether it
    /// had to start it.
    pub fn start(&self) -> Result<bool> {
        let tcp = self.tcp;
        check_socket_path(&self.dir)?;
        access::check_folder(&self.dir)?;
        let binaries = find_binaries()?;
        let missing = binaries.missing_extensions();
        if !missing.is_empty() {
            bail!(
                "PostgreSQL {} in {} lacks the extensions {} that ctodb needs; install the contrib package (`{}`)",
                binaries.version,
                binaries.dir.display(),
                missing.join(" and "),
                install_hint()
            );
        }
        self.locked(|| {
            access::mark(&self.dir)?;
            let owner = self.prepare_owner()?;
            if !self.initialised() {
                self.init(&binaries, owner.as_deref())?;
            }
            if self.running(&binaries) {
                return Ok(false);
            }
            self.clear_stale_locks()?;
            if tcp && access::read_password(&self.dir).is_none() {
                self.set_password(&binaries, owner.as_deref())?;
            }
            fs::write(self.data().join("pg_hba.conf"), access::hba(tcp))
                .context("cannot write pg_hba.conf")?;
            self.write_settings(tcp)?;
            let log = self.dir.join("server.log");
            let out = self.run(
                &binaries,
                owner.as_deref(),
                "pg_ctl",
                &[
                    "start".as_ref(),
                    "--wait".as_ref(),
                    "--timeout=60".as_ref(),
                    "--silent".as_ref(),
                    "-D".as_ref(),
                    self.data().as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                ],
            )?;
            if !out.status.success() {
                let tail = fs::read_to_string(&log).unwrap_or_default();
                let last: Vec<&str> =
                    tail.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
                bail!(
                    "the private cluster in {} did not start: {}{}",
                    self.dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    if last.is_empty() {
                        String::new()
                    } else {
                        format!("; its log ends: {}", last.join(" | "))
                    }
                );
            }
            Ok(true)
        })
    }

    /// Stops the server (fast shutdown: sessions are ended, work is rolled back, the data
    /// is safe). Returns whether it ran.
    pub fn stop(&self) -> Result<bool> {
        if !self.initialised() {
            return Ok(false);
        }
        let binaries = find_binaries()?;
        self.locked(|| {
            if !self.running(&binaries) {
                return Ok(false);
            }
            let owner = self.owner();
            let data = self.data();
            let out = self.run(
                &binaries,
                owner.as_deref(),
                "pg_ctl",
                &[
                    "stop".as_ref(),
                    "--wait".as_ref(),
                    "-m".as_ref(),
                    "fast".as_ref(),
                    "-D".as_ref(),
                    data.as_os_str(),
                ],
            )?;
            if !out.status.success() {
                bail!(
                    "could not stop the private cluster in {}: {}",
                    self.dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            Ok(true)
        })
    }

    /// Stops the server and removes the folder, when it is a ctodb cluster.
    pub fn destroy(&self) -> Result<()> {
        access::check_deletable(&self.dir)?;
        self.stop()?;
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir).with_context(|| format!("cannot remove {}", self.dir.display()))?;
        }
        Ok(())
    }

    pub fn status(&self) -> Result<Status> {
        let initialised = self.initialised();
        let binaries = find_binaries().ok();
        let running = initialised && binaries.as_ref().is_some_and(|b| self.running(b));
        // the cluster's major version, and the installed server's full one when it matches
        let version = fs::read_to_string(self.data().join("PG_VERSION")).ok().map(|v| v.trim().to_string());
        let version = match (version, &binaries) {
            (Some(major), Some(b)) if b.major.to_string() == major => Some(b.version.clone()),
            (version, _) => version,
        };
        let settings = fs::read_to_string(self.data().join("postgresql.auto.conf"))
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('\'').to_string()))
            .collect::<Vec<_>>();
        let tcp = settings.iter().any(|(k, v)| k == "listen_addresses" && !v.is_empty());
        Ok(Status {
            initialised,
            running,
            version,
            data_bytes: folder_size(&self.data()),
            socket: self.socket(),
            tcp,
            settings,
        })
    }

    /// Whether the cluster's postmaster runs: the PID of postmaster.pid is a live process
    /// whose working folder is this data folder (a postmaster's is). Where /proc cannot
    /// tell, `pg_ctl status` says.
    fn running(&self, binaries: &Binaries) -> bool {
        let Some(pid) = self.postmaster_pid() else { return false };
        if let Some(answer) = access::is_postmaster_of(pid, &self.data()) {
            return answer;
        }
        let data = self.data();
        let owner = self.owner();
        self.run(binaries, owner.as_deref(), "pg_ctl", &["status".as_ref(), "-D".as_ref(), data.as_os_str()])
            .map(|out| out.status.success())
            .unwrap_or(false)
    }

    fn postmaster_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// After a crash (kill -9, a power cut) the lock files name a dead process, which the
    /// server would take for a live one if its PID were a zombie or reused: removed
    /// before a start, once `running` said no postmaster lives.
    fn clear_stale_locks(&self) -> Result<()> {
        let stale = [
            self.data().join("postmaster.pid"),
            self.dir.join(format!(".s.PGSQL.{}.lock", self.port)),
            self.socket(),
        ];
        for path in stale.iter().filter(|p| p.exists()) {
            crate::ui::info(&format!(
                "removing {} left by a server that did not stop cleanly",
                path.display()
            ));
            fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        Ok(())
    }

    fn init(&self, binaries: &Binaries, owner: Option<&str>) -> Result<()> {
        let user = crate::config::os_user();
        let data = self.data();
        let out = self.run(
            binaries,
            owner,
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                user.as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C.UTF-8".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )?;
        if !out.status.success() {
            let _ = fs::remove_dir_all(&data);
            bail!("initdb failed in {}: {}", data.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// Gives the owner's role a generated password (scram-sha-256), with the server
    /// stopped (single-user mode), and keeps it in the folder's password file.
    fn set_password(&self, binaries: &Binaries, owner: Option<&str>) -> Result<()> {
        let user = crate::config::os_user();
        let password = access::generate_password()?;
        let role = format!("\"{}\"", user.replace('"', "\"\""));
        // the password is hexadecimal: nothing in it needs quoting
        let sql =
            format!("SET password_encryption = 'scram-sha-256';\nALTER ROLE {role} PASSWORD '{password}';\n");
        let data = self.data();
        let out = self.run_with_input(
            binaries,
            owner,
            "postgres",
            &["--single".as_ref(), "-D".as_ref(), data.as_os_str(), "postgres".as_ref()],
            sql.as_bytes(),
        )?;
        let said = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || said.contains("ERROR") {
            bail!("could not set the private cluster's password in {}: {}", self.dir.display(), said.trim());
        }
        access::write_passfile(&self.dir, self.port, &user, &password)
    }

    fn write_settings(&self, tcp: bool) -> Result<()> {
        let mut text = String::from(
            "# ctodb local: settings for a private analytics cluster (see `ctodb local status`)\n",
        );
        for (name, value) in settings(self.port, tcp, &self.dir) {
            text.push_str(&format!("{name} = {value}\n"));
        }
        let path = self.data().join("postgresql.auto.conf");
        // written anew, never through a link (the folder was checked for links before)
        let _ = fs::remove_file(&path);
        let mut file = crate::files::create_new(&path, 0o600)
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.write_all(text.as_bytes())?;
        if let Some(owner) = self.owner() {
            chown(&path, &owner)?;
            chown(&self.data().join("pg_hba.conf"), &owner)?;
            let passfile = self.dir.join(access::PASSFILE);
            if passfile.exists() {
                chown(&passfile, &owner)?;
            }
        }
        Ok(())
    }

    /// As root: the folder goes to the postgres system user, who must be able to reach it.
    fn prepare_owner(&self) -> Result<Option<String>> {
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
        if !is_root() {
            return Ok(None);
        }
        let owner = "postgres".to_string();
        if Command::new("id")
            .arg("-u")
            .arg(&owner)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| !s.success())
            .unwrap_or(true)
        {
            bail!("PostgreSQL does not run as root, and there is no `postgres` system user to run it as; create one (`useradd --system postgres`) or run ctodb as an ordinary user");
        }
        let mut reach = self.dir.parent();
        while let Some(dir) = reach {
            let mode = fs::metadata(dir).map(|m| m.mode()).unwrap_or(0);
            if mode & 0o001 == 0 {
                bail!(
                    "the postgres user cannot enter {} (mode {:o}), where --data {} lies; choose a folder it can reach (e.g. under /var/lib or /tmp)",
                    dir.display(),
                    mode & 0o777,
                    self.dir.display()
                );
            }
            reach = dir.parent();
        }
        chown(&self.dir, &owner)?;
        Ok(Some(owner))
    }

    fn owner(&self) -> Option<String> {
        is_root().then(|| "postgres".to_string())
    }

    /// Runs one of the server's tools, as the postgres user when we are root.
    fn run(
        &self,
        binaries: &Binaries,
        owner: Option<&str>,
        tool: &str,
        args: &[&std::ffi::OsStr],
    ) -> Result<Output> {
        self.run_with_input(binaries, owner, tool, args, &[])
    }

    /// `run`, with `input` on the tool's standard input.
    fn run_with_input(
        &self,
        binaries: &Binaries,
        owner: Option<&str>,
        tool: &str,
        args: &[&std::ffi::OsStr],
        input: &[u8],
    ) -> Result<Output> {
        let mut command = match owner {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(binaries.tool(tool));
                c
            }
            None => Command::new(binaries.tool(tool)),
        };
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // the server must not inherit the caller's connection settings
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                command.env_remove(key);
            }
        }
        let cannot = || format!("cannot run {}", binaries.tool(tool).display());
        let mut child = command.spawn().with_context(cannot)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input).with_context(cannot)?;
        }
        child.wait_with_output().with_context(cannot)
    }
}

/// A setting recorded in an existing cluster's postgresql.auto.conf.
fn recorded(dir: &Path, name: &str) -> Option<String> {
    let text = fs::read_to_string(dir.join("data/postgresql.auto.conf")).ok()?;
    let value = text.lines().filter_map(|l| l.split_once('=')).find(|(k, _)| k.trim() == name)?.1;
    Some(value.trim().trim_matches('\'').to_string())
}

fn recorded_port(dir: &Path) -> Option<u16> {
    recorded(dir, "port")?.parse().ok()
}

fn recorded_tcp(dir: &Path) -> bool {
    recorded(dir, "listen_addresses").is_some_and(|v| !v.is_empty())
}

fn chown(path: &Path, user: &str) -> Result<()> {
    let status = Command::new("chown").arg("-R").arg(format!("{user}:")).arg(path).status()?;
    if !status.success() {
        bail!("cannot give {} to the user {user}", path.display());
    }
    Ok(())
}

fn folder_size(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Percent-encodes what a URL's query value cannot hold as is.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_socket_folder() {
        let cluster = Cluster { dir: PathBuf::from("/tmp/my pg"), port: 5432, tcp: false };
        assert_eq!(cluster.url(), "postgresql:///ctodb?host=/tmp/my%20pg&port=5432");
        assert_eq!(cluster.socket(), PathBuf::from("/tmp/my pg/.s.PGSQL.5432"));
    }
}
