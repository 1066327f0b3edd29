//! `ctodb quickstart`: the first command a newcomer runs. Creates and migrates the
//! database when needed, seeds the demo when it is empty, refreshes, and prints the
//! portfolio report.

use anyhow::Result;

use super::{migrate, refresh, report, seed, Context, Outcome};
use crate::config::{self, Origin};
use crate::db;
use crate::local::Cluster;
use crate::report::portfolio::{self, Portfolio};
use crate::seed::{Overrides, Plan, Profile};
use crate::sql;

pub async fn run(ctx: &Context) -> Result<Outcome> {
    let private = matches!(ctx.target.origin, Origin::Default | Origin::LocalCluster);
    if private && !answers(&ctx.target) {
        let cluster = Cluster::at_default();
        crate::ui::info(&format!(
            "no PostgreSQL server answers at {}: starting ctodb's private cluster in {} \
             (`ctodb local stop` stops it; later commands find it)",
            ctx.target.server(),
            cluster.dir.display()
        ));
        cluster.start()?;
        let local = Context { target: config::cluster_target(&cluster.address()), ..ctx.clone() };
        return steps(&local).await;
    }
    steps(ctx).await
}

/// Whether a server listens where the target points (a socket file that accepts, or a
/// TCP port that does, within a second).
fn answers(target: &config::Target) -> bool {
    use tokio_postgres::config::Host;
    let port = target.pg.get_ports().first().copied().unwrap_or(5432);
    match target.pg.get_hosts().first() {
        Some(Host::Unix(dir)) => {
            std::os::unix::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).is_ok()
        }
        Some(Host::Tcp(host)) => std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
            .map(|mut addrs| {
                addrs.any(|addr| {
                    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
                })
            })
            .unwrap_or(false),
        None => false,
    }
}

/// The steps, each the function its own command runs: migrate, seed the demo when empty,
/// refresh, print the portfolio.
async fn steps(ctx: &Context) -> Result<Outcome> {
    migrate::apply(ctx, None).await?;
    let empty = {
        let db = ctx.connect().await?;
        let client = db.client().await?;
        let row = db::query_one(&**client, &sql::SEED_IS_EMPTY, &[]).await?;
        db::get::<i64>(&row, sql::SEED_IS_EMPTY.name, "projects")? == 0
    };
    if empty {
        seed::load(ctx, Plan::new(Some(Profile::Demo), Overrides::default(), 42, false)?).await?;
    } else {
        crate::ui::info("the database already has projects: not seeding");
    }
    let changes = refresh::refresh(ctx).await?;
    super::report_committed(&refresh::summary(ctx, &changes));
    report::emit::<Portfolio>(ctx, portfolio::Args { from: Default::default(), chart: None }).await
}
