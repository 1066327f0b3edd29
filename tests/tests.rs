//! Integration tests: one crate (every file directly under tests/ would link polars
//! again), one module per area.

mod common;

mod aging;
mod analytics;
mod as_of;
mod connection;
mod contract;
mod diff;
mod documentation;
mod engines;
mod exactly_once;
mod exactness;
mod export;
mod github;
mod github_triage;
mod helpers;
mod history;
mod import;
mod import_undo;
mod libpq_urls;
mod local;
mod migrate;
mod output;
mod polish;
mod reliability;
mod replica;
mod retention;
mod roles;
mod rollups;
mod search;
mod seed;
mod snapshot_faults;
mod troubleshooting;
mod workflow;
