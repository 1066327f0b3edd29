//! `ctodb local start|stop|status|url|destroy`: the private cluster (`src/local.rs`).

use anyhow::{bail, Result};

use super::{Context, Outcome};
use crate::cli::{LocalAction, LocalArgs};
use crate::frame::{Column, Frame, Kind, Report, Value};
use crate::local::Cluster;
use crate::ui;

pub fn run(ctx: &Context, args: LocalArgs) -> Result<Outcome> {
    let data = args.data.clone().filter(|dir| !dir.as_os_str().is_empty());
    let cluster = Cluster::new(data, args.port)?;
    match args.action {
        LocalAction::Start => start(&cluster)?,
        LocalAction::Stop => {
            if cluster.stop()? {
                ui::info(&format!("stopped the private cluster in {}", cluster.dir.display()));
            } else {
                ui::info(&format!("no private cluster runs in {}", cluster.dir.display()));
            }
        }
        LocalAction::Url => ctx.output.emit_value(&cluster.url())?,
        LocalAction::Destroy => {
            if !args.force {
                bail!(
                    "`ctodb local destroy` deletes {} and every database in it; add --force to do so",
                    cluster.dir.display()
                );
            }
            cluster.destroy()?;
            ui::info(&format!("removed the private cluster in {}", cluster.dir.display()));
        }
        LocalAction::Status => {
            let status = cluster.status()?;
            let mut frame = Frame::new(
                "local",
                vec![Column::new("setting", Kind::Text), Column::new("value", Kind::Text)],
            );
            let mut row = |name: &str, value: String| frame.push(vec![Value::from(name), Value::from(value)]);
            row("folder", cluster.dir.display().to_string());
            row("initialised", status.initialised.to_string());
            row("running", status.running.to_string());
            row("version", status.version.unwrap_or_default());
            row("socket", status.socket.display().to_string());
            row("tcp", if status.tcp { format!("localhost:{}", cluster.port) } else { "off".to_string() });
            row("data_size_mb", (status.data_bytes >> 20).to_string());
            row("url", cluster.url());
            if status.tcp {
                row("tcp_url", cluster.tcp_url());
            }
            for (name, value) in status.settings {
                row(&name, value);
            }
            ctx.output.emit(&Report::single(frame))?;
        }
    }
    Ok(Outcome::Success)
}

/// `local start`: the cluster made or started, and what other commands need to find it.
fn start(cluster: &Cluster) -> Result<()> {
    if cluster.start()? {
        // the stop line names the folder when a bare `ctodb local stop` would not find it
        let data = if cluster.dir == crate::local::default_dir() {
            String::new()
        } else {
            format!(" --data {}", cluster.dir.display())
        };
        ui::info(&format!(
            "started the private cluster in {} (socket {}); `ctodb local stop{data}` stops it",
            cluster.dir.display(),
            cluster.socket().display()
        ));
    } else {
        ui::info(&format!("the private cluster in {} is already running", cluster.dir.display()));
    }
    if cluster.tcp {
        ui::info(&format!(
            "TCP on localhost:{} takes the generated password, which {} holds: {}",
            cluster.port,
            cluster.dir.join("pgpass").display(),
            cluster.tcp_url()
        ));
    }
    // commands find the cluster alone only when no other server answers on the
    // system socket; otherwise they need to be told
    let system_server = std::path::Path::new("/var/run/postgresql/.s.PGSQL.5432").exists();
    if std::env::var_os("CTODB_LOCAL").is_none()
        && (cluster.dir != crate::local::default_dir() || system_server)
    {
        ui::info(&format!(
            "other commands find it with CTODB_LOCAL={} (or DATABASE_URL={})",
            cluster.dir.display(),
            cluster.url()
        ));
    }
    Ok(())
}
