//! Embeds every `migrations/<version>_<name>/migration.sql` in the binary, in version
//! order, so that adding a migration needs no code change.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let mut entries: Vec<String> = fs::read_dir("migrations")
        .expect("the migrations/ folder is part of the source tree")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("migration.sql").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    // The same rule as Migration::parse, checked here so that a misnamed folder fails the
    // build instead of every run of the binary.
    for folder in &entries {
        let well_named = folder.split_once('_').is_some_and(|(version, name)| {
            version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
        assert!(well_named, "migration folder {folder:?} is not named <14-digit UTC timestamp>_<name>");
    }
    let mut generated = String::from("&[\n");
    for folder in &entries {
        println!("cargo:rerun-if-changed=migrations/{folder}/migration.sql");
        // relative to the crate being compiled, not to this run's checkout: clones of the
        // project at other paths may share one target folder (and this generated file)
        generated.push_str(&format!(
            "    ({folder:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),\n",
            format!("/migrations/{folder}/migration.sql")
        ));
    }
    generated.push_str("]\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("migrations.rs");
    fs::write(out, generated).expect("OUT_DIR is writable");

    // `ctodb --version`: the schema the binary migrates to and the commit it was built from
    let schema = entries.last().cloned().unwrap_or_else(|| "none".into());
    println!("cargo:rustc-env=CTODB_SCHEMA_VERSION={schema}");
    println!("cargo:rustc-env=CTODB_COMMIT={}", commit());
}

/// The commit of the checkout being built, or "unknown" outside a git checkout (a source
/// tarball) or without git. (Uncommitted changes are not marked: watching the index would
/// rebuild the crate after every `git status`.)
fn commit() -> String {
    for watched in [".git/HEAD", ".git/packed-refs"] {
        if Path::new(watched).exists() {
            println!("cargo:rerun-if-changed={watched}");
        }
    }
    if let Ok(head) = fs::read_to_string(".git/HEAD") {
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            let path = format!(".git/{reference}");
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    let git = |args: &[&str]| -> Option<String> {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) if !hash.is_empty() => hash,
        _ => "unknown".into(),
    }
}
