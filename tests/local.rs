//! `ctodb local`: a private cluster from the installed server binaries, in a temporary
//! folder; quickstart against it with nothing else configured; stop, start with the
//! data kept, a start after kill -9, two starts at once, destroy.

use std::path::Path;

use crate::common::{ctodb_command, CliOutput};

/// ctodb with no DATABASE_URL, PG* or CTODB_* variable but CTODB_LOCAL=dir.
fn local(dir: &Path, args: &[&str]) -> CliOutput {
    ctodb_command(None).env("CTODB_LOCAL", dir).args(args).output().expect("the ctodb binary runs").into()
}

/// A folder for a cluster that the postgres user can reach when the tests run as root.
fn cluster_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("ctodb-local-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

fn status(dir: &Path) -> String {
    local(dir, &["local", "status", "-f", "csv"]).ok().replace("\r\n", "\n")
}

#[test]
fn a_private_cluster_serves_quickstart_keeps_its_data_and_is_destroyed_whole() {
    let dir = cluster_dir();
    let path = dir.path();
    let _stops = crate::common::StopsCluster(path.to_path_buf());
    // quickstart starts the cluster CTODB_LOCAL names when none runs there
    let first = local(path, &["quickstart", "-f", "csv"]);
    assert!(first.stderr_text().starts_with(&format!(
        "no PostgreSQL server answers at {}/.s.PGSQL.5432: starting ctodb's private cluster in {} (`ctodb local \
         stop` stops it; later commands find it)\n",
        path.display(),
        path.display()
    )));
    assert!(first.ok().contains("\noverview,5,3,1,1,0,2750000.00,"));
    local(path, &["local", "stop"]).status_only();
    let started = local(path, &["local", "start"]);
    assert_eq!(
        started.status_only().lines().next().unwrap_or_default(),
        format!(
            "started the private cluster in {} (socket {}/.s.PGSQL.5432); `ctodb local stop` stops it",
            path.display(),
            path.display()
        )
    );
    let report = status(path);
    assert!(report.contains("\nrunning,true\n"), "{report}");
    assert!(report.contains("\ntcp,off\n"), "{report}");
    assert!(report.contains("\nwal_level,minimal\n"), "{report}");
    assert!(
        report.contains(&format!("\nurl,postgresql:///ctodb?host={}&port=5432\n", path.display())),
        "{report}"
    );
    // the socket is in the folder, the folder the owner's alone
    assert!(path.join(".s.PGSQL.5432").exists());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);

    // quickstart with nothing configured but the folder
    let portfolio = local(path, &["quickstart", "-f", "csv"]).ok();
    assert!(
        portfolio.starts_with("section,projects,active,shipped,deferred,cancelled,total_arr,"),
        "{portfolio}"
    );
    assert!(portfolio.contains("\noverview,5,3,1,1,0,2750000.00,"), "{portfolio}");

    // stopped, then started again: the data is still there
    assert_eq!(
        local(path, &["local", "stop"]).status_only().trim(),
        format!("stopped the private cluster in {}", path.display())
    );
    assert!(status(path).contains("\nrunning,false\n"));
    let refused = local(path, &["projects", "-f", "csv"]);
    assert_eq!(refused.code(), 1);
    local(path, &["local", "start"]).status_only();
    let projects = local(path, &["projects", "-f", "csv"]).ok();
    assert_eq!(projects.lines().count(), 4, "{projects}");

    // killed: the next start clears the dead server's lock files and recovers
    let pid: i32 = std::fs::read_to_string(path.join("data/postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(status(path).contains("\nrunning,false\n"));
    let restarted = local(path, &["local", "start"]).status_only();
    assert!(restarted.contains("left by a server that did not stop cleanly"), "{restarted}");
    assert_eq!(local(path, &["projects", "-f", "csv"]).ok(), projects);

    // destroy asks for --force, then leaves nothing
    let refused = local(path, &["local", "destroy"]);
    assert_eq!(refused.code(), 1);
    assert_eq!(
        refused.stderr_text().trim(),
        format!(
            "error: `ctodb local destroy` deletes {} and every database in it; add --force to do so",
            path.display()
        )
    );
    local(path, &["local", "destroy", "--force"]).status_only();
    assert!(!path.exists());
}

#[test]
fn two_starts_at_once_make_one_cluster() {
    let dir = cluster_dir();
    let path = dir.path().to_path_buf();
    let _stops = crate::common::StopsCluster(path.clone());
    // the test holds the folder's lock until both starts wait for it (the kernel lists
    // each waiter of a lock in /proc/locks, marked "->"), so that they overlap; the folder
    // is marked as ctodb marks the folders it makes, since it holds the lock file already
    std::fs::write(path.join(".ctodb-cluster"), "a private PostgreSQL cluster made by `ctodb local`\n")
        .unwrap();
    let lock_file = std::fs::File::create(path.join(".lock")).unwrap();
    lock_file.lock().unwrap();
    let inode = std::os::unix::fs::MetadataExt::ino(&lock_file.metadata().unwrap());
    let starts: Vec<std::process::Child> = (0..2)
        .map(|_| {
            ctodb_command(None)
                .env("CTODB_LOCAL", &path)
                .args(["local", "start"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let waiters = || {
        std::fs::read_to_string("/proc/locks")
            .unwrap()
            .lines()
            .filter(|line| line.contains("->") && line.contains(&format!(":{inode} ")))
            .count()
    };
    crate::common::eventually(
        "both starts waiting for the folder's lock",
        std::time::Duration::from_secs(60),
        || waiters() == 2,
    );
    drop(lock_file);
    let outputs: Vec<CliOutput> = starts
        .into_iter()
        .map(|child| crate::common::finish_within(child, std::time::Duration::from_secs(120), "local start"))
        .collect();
    let mut said: Vec<String> =
        outputs.iter().map(|out| out.status_only().lines().next().unwrap_or_default().to_string()).collect();
    said.sort();
    assert_eq!(
        said,
        [
            format!(
                "started the private cluster in {} (socket {}/.s.PGSQL.5432); `ctodb local stop` stops it",
                path.display(),
                path.display()
            ),
            format!("the private cluster in {} is already running", path.display()),
        ]
    );
    local(&path, &["local", "destroy", "--force"]).status_only();
}

#[test]
fn the_url_names_the_folder_and_a_bad_folder_is_refused() {
    let url = ctodb_command(None).args(["local", "url", "--data", "/tmp/some where"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&url.stdout),
        "postgresql:///ctodb?host=/tmp/some%20where&port=5432\n"
    );
    let long = format!("/tmp/{}", "x".repeat(120));
    let out: CliOutput =
        ctodb_command(None).args(["local", "start", "--data", &long]).output().unwrap().into();
    assert_eq!(out.code(), 1);
    assert_eq!(
        out.stderr_text().trim(),
        format!("error: --data {long}: the path is too long for a Unix socket inside it (at most about 90 characters)")
    );
}

/// One row of `local status -f csv`.
fn status_row(dir: &Path, name: &str) -> String {
    let report = status(dir);
    report
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name},")))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
        .to_string()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

#[test]
fn only_its_owner_enters_a_private_cluster_over_tcp_or_its_socket() {
    let dir = cluster_dir();
    let path = dir.path();
    let _stops = crate::common::StopsCluster(path.to_path_buf());
    let port = crate::common::cluster::free_port().to_string();
    let started = local(path, &["local", "start", "--port", &port]).status_only();
    let user = crate::common::admin_user();
    let tcp_url = format!("postgresql://{user}@localhost:{port}/ctodb?passfile={}/pgpass", path.display());
    assert!(
        started.contains(&format!(
            "TCP on localhost:{port} takes the generated password, which {}/pgpass holds: {tcp_url}\n",
            path.display()
        )),
        "{started}"
    );
    assert_eq!(status_row(path, "tcp_url"), tcp_url);
    let mode = |file: &str| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path.join(file)).unwrap().permissions())
            & 0o777
    };
    assert_eq!((mode("."), mode("pgpass")), (0o700, 0o600));
    let hba = std::fs::read_to_string(path.join("data/pg_hba.conf")).unwrap();
    assert!(!hba.lines().any(|l| l.starts_with("host") && l.ends_with("trust")), "{hba}");
    // the owner, with the URL it was given: in
    let migrated: CliOutput = ctodb_command(Some(&tcp_url)).arg("migrate").output().unwrap().into();
    migrated.status_only();
    // without the password: out
    let bare = format!("postgresql://{user}@localhost:{port}/ctodb");
    let refused: CliOutput =
        ctodb_command(Some(&bare)).env("HOME", path).arg("users").output().unwrap().into();
    assert_eq!(refused.code(), 1);
    assert!(refused.stderr_text().contains("asks for a password for user"), "{}", refused.stderr_text());
    if is_root() {
        // another OS user, over TCP and over the socket, as the cluster's superuser
        let psql_as_nobody = |conninfo: String| {
            let out = std::process::Command::new("runuser")
                .args(["-u", "nobody", "--", "psql", "-X", "-A", "-t", "-c", "SELECT 1"])
                .arg(conninfo)
                .env_remove("PGPASSWORD")
                .output()
                .unwrap();
            (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let (code, stderr) = psql_as_nobody(format!("host=127.0.0.1 port={port} user={user} dbname=ctodb"));
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains("no password supplied") || stderr.contains("password authentication failed"),
            "{stderr}"
        );
        let (code, stderr) =
            psql_as_nobody(format!("host={} port={port} user={user} dbname=ctodb", path.display()));
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("Permission denied"), "{stderr}");
    }
}

#[test]
fn a_folder_ctodb_did_not_make_is_never_taken_or_deleted() {
    let dir = cluster_dir();
    let path = dir.path();
    std::fs::write(path.join("thesis.tex"), "years of work").unwrap();
    for args in [&["local", "start"][..], &["local", "destroy", "--force"]] {
        let out = local(path, args);
        assert_eq!(out.code(), 1, "{args:?}");
        assert!(out.stderr_text().contains(&format!("{} ", path.display())), "{}", out.stderr_text());
        assert!(out.stderr_text().contains("(it has no .ctodb-cluster)"), "{}", out.stderr_text());
    }
    assert_eq!(std::fs::read_to_string(path.join("thesis.tex")).unwrap(), "years of work");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o755, "the folder's mode was changed");
    assert_eq!(std::fs::read_dir(path).unwrap().count(), 1);
}

#[test]
fn another_servers_process_in_the_pid_file_is_not_taken_for_the_clusters() {
    let dir = cluster_dir();
    let path = dir.path();
    let _stops = crate::common::StopsCluster(path.to_path_buf());
    local(path, &["local", "start"]).status_only();
    local(path, &["local", "stop"]).status_only();
    // a postmaster.pid left behind that names a live postgres process of another cluster
    let other = crate::common::cluster::TestCluster::start(&[]);
    let pid = std::fs::read_to_string(other.data().join("postmaster.pid")).unwrap();
    let pid = pid.lines().next().unwrap().to_string();
    std::fs::write(path.join("data/postmaster.pid"), format!("{pid}\n{}\n", path.join("data").display()))
        .unwrap();
    assert_eq!(status_row(path, "running"), "false");
    let started = local(path, &["local", "start"]).status_only();
    assert!(started.contains("left by a server that did not stop cleanly"), "{started}");
    assert_eq!(status_row(path, "running"), "true");
    // and the other server was left alone
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn links_planted_in_a_cluster_folder_are_refused_and_their_targets_untouched() {
    let victims = tempfile::tempdir().unwrap();
    let victim = victims.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // a marker that is a link: the folder is not taken for ctodb's, nothing deleted
    let dir = cluster_dir();
    let path = dir.path();
    std::fs::write(path.join("thesis.tex"), "years of work").unwrap();
    std::os::unix::fs::symlink(&victim, path.join(".ctodb-cluster")).unwrap();
    for args in [&["local", "start"][..], &["local", "destroy", "--force"]] {
        let out = local(path, args);
        assert_eq!(out.code(), 1, "{args:?}");
        assert_eq!(
            out.stderr_text(),
            format!(
                "error: {}/.ctodb-cluster is a symbolic link, which ctodb never makes in a cluster folder; it touches \
                 nothing there until it is removed\n",
                path.display()
            )
        );
    }
    assert_eq!(std::fs::read_to_string(path.join("thesis.tex")).unwrap(), "years of work");
    // a lock file that is a link, in an empty folder
    let dir = cluster_dir();
    std::os::unix::fs::symlink(&victim, dir.path().join(".lock")).unwrap();
    let out = local(dir.path(), &["local", "start"]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr_text().contains(".lock is a symbolic link"), "{}", out.stderr_text());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&victim).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o644, "the link's target was chmodded");
}

#[test]
fn the_start_line_names_the_folder_to_stop_and_pgdatabase_chooses_the_database() {
    let dir = cluster_dir();
    let path = dir.path();
    let _stops = crate::common::StopsCluster(path.to_path_buf());
    // (CTODB_LOCAL names the folder here, so it is the default one: pass --data instead)
    let out: CliOutput = ctodb_command(None)
        .args(["local", "start", "--data", path.to_str().unwrap()])
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code(), 0, "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains(&format!("`ctodb local stop --data {}` stops it", path.display())),
        "{}",
        out.stderr_text()
    );
    let migrated: CliOutput = ctodb_command(None)
        .env("CTODB_LOCAL", path)
        .env("PGDATABASE", "ctodb_elsewhere")
        .args(["migrate"])
        .output()
        .unwrap()
        .into();
    assert_eq!(migrated.code(), 0, "{}", migrated.stderr_text());
    assert!(migrated.stderr_text().contains("ctodb_elsewhere"), "{}", migrated.stderr_text());
}
