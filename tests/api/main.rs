//! The API's tests: one test binary, every test through the real HTTP stack against a real
//! Postgres (each test makes its own database; TEST_DATABASE_URL says where, default the local
//! server with trust auth).
//!
//! - `helpers/`: the harness: `TestApp::builder()` (the app on a random port), `TestDb`, the
//!   fixtures whose numbers the tests work out by hand, and the twin apps (rollup vs SQL).
//! - `routes/<route>.rs`: one module per route file of src/routes/, for tests about one endpoint.
//! - the modules beside `routes`: suites that cut across endpoints (bad input, security, faults,
//!   rollup parity, time ranges, CSV, ...).
//!
//! Run everything with `cargo test --test api`, one module with e.g.
//! `cargo test --test api routes::latency` or `cargo test --test api faults::`, one test by
//! (part of) its name.

mod helpers;
mod routes;

mod agent_sources;
mod api_contract;
mod bad_input;
mod bounded_work;
mod csv_export;
mod database_failures;
mod database_tls;
mod deployment;
mod faults;
mod hardening;
mod index_plans;
mod litellm_rows;
mod long_windows;
mod memory_budget;
mod real_clock;
mod rollup;
mod security;
mod time_ranges;
