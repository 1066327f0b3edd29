//! The installed PostgreSQL server binaries a private cluster is made with: found on
//! PATH, through `pg_config --bindir` or in the usual package folders, newest first, with
//! the contrib extensions ctodb needs beside them.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{anyhow, Result};

/// The installed server binaries ctodb uses.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub dir: PathBuf,
    /// e.g. 15.19
    pub version: String,
    pub major: u32,
}

impl Binaries {
    pub fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Whether the contrib extensions ctodb needs (pg_trgm, fuzzystrmatch) are installed
    /// beside this server.
    pub fn missing_extensions(&self) -> Vec<&'static str> {
        let share = Command::new(self.tool("pg_config")).arg("--sharedir").output().ok();
        let share = share
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
            .or_else(|| debian_share_dir(self.major));
        let Some(share) = share else { return Vec::new() };
        ["pg_trgm", "fuzzystrmatch"]
            .into_iter()
            .filter(|name| !share.join("extension").join(format!("{name}.control")).is_file())
            .collect()
    }
}

fn debian_share_dir(major: u32) -> Option<PathBuf> {
    let dir = PathBuf::from(format!("/usr/share/postgresql/{major}"));
    dir.is_dir().then_some(dir)
}

/// Every folder that may hold `initdb`, `pg_ctl` and `postgres`: PATH, `pg_config
/// --bindir`, and the usual places of Debian, RHEL and Homebrew packages.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output() {
        if out.status.success() {
            dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    for pattern_dir in
        ["/usr/lib/postgresql", "/usr/local/pgsql", "/opt/homebrew/opt", "/usr/local/opt", "/usr"]
    {
        let Ok(entries) = fs::read_dir(pattern_dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            match pattern_dir {
                "/usr/lib/postgresql" => dirs.push(path.join("bin")),
                "/usr" if name.starts_with("pgsql-") => dirs.push(path.join("bin")),
                "/opt/homebrew/opt" | "/usr/local/opt" if name.starts_with("postgresql") => {
                    dirs.push(path.join("bin"))
                }
                _ => {}
            }
        }
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

/// `postgres (PostgreSQL) 15.19 (Debian …)` → ("15.19", 15)
fn parse_version(text: &str) -> Option<(String, u32)> {
    let version =
        text.split_whitespace().find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let major = version.split(['.', 'b', 'r']).next()?.parse().ok()?;
    Some((version.to_string(), major))
}

/// The newest installed server whose folder has initdb, pg_ctl and postgres.
pub fn find_binaries() -> Result<Binaries> {
    let mut found: Vec<Binaries> = Vec::new();
    for dir in candidate_dirs() {
        if !["initdb", "pg_ctl", "postgres"].iter().all(|tool| dir.join(tool).is_file()) {
            continue;
        }
        if found.iter().any(|b| b.dir == dir) {
            continue;
        }
        let Ok(out) = Command::new(dir.join("postgres")).arg("--version").output() else { continue };
        if let Some((version, major)) = parse_version(&String::from_utf8_lossy(&out.stdout)) {
            found.push(Binaries { dir, version, major });
        }
    }
    found.sort_by_key(|b| {
        let parts: Vec<u32> = b.version.split('.').filter_map(|p| p.parse().ok()).collect();
        (b.major, parts)
    });
    found.pop().ok_or_else(|| anyhow!("no PostgreSQL server is installed here (no initdb, pg_ctl and postgres on PATH, in `pg_config --bindir` or the usual package folders); install it with `{}`", install_hint()))
}

/// The package to install on this OS, from /etc/os-release.
pub fn install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        return "brew install postgresql@16";
    }
    hint_for(&fs::read_to_string("/etc/os-release").unwrap_or_default())
}

fn hint_for(os_release: &str) -> &'static str {
    let release = os_release.to_lowercase();
    let like = |word: &str| {
        release.lines().any(|l| (l.starts_with("id=") || l.starts_with("id_like=")) && l.contains(word))
    };
    if like("debian") || like("ubuntu") {
        "apt-get install postgresql postgresql-contrib"
    } else if like("rhel") || like("fedora") || like("centos") {
        "dnf install postgresql-server postgresql-contrib"
    } else if like("alpine") {
        "apk add postgresql postgresql-contrib"
    } else if like("arch") {
        "pacman -S postgresql"
    } else if like("suse") {
        "zypper install postgresql-server postgresql-contrib"
    } else {
        "your package manager's postgresql and postgresql-contrib packages"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_from_postgres_version_output() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n"),
            Some(("15.19".into(), 15))
        );
        assert_eq!(parse_version("postgres (PostgreSQL) 17beta2"), Some(("17beta2".into(), 17)));
        assert_eq!(parse_version("nothing"), None);
    }

    #[test]
    fn the_missing_package_is_named_for_the_os() {
        assert_eq!(
            hint_for("ID=debian\nVERSION_ID=\"12\"\n"),
            "apt-get install postgresql postgresql-contrib"
        );
        assert_eq!(hint_for("ID=ubuntu\nID_LIKE=debian\n"), "apt-get install postgresql postgresql-contrib");
        assert_eq!(
            hint_for("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"),
            "dnf install postgresql-server postgresql-contrib"
        );
        assert_eq!(hint_for("ID=alpine\n"), "apk add postgresql postgresql-contrib");
        assert_eq!(hint_for(""), "your package manager's postgresql and postgresql-contrib packages");
    }
}
