//! What every handler shares, below the handlers: the database, the rollup, the clock and the
//! guards. Handlers reach data only through answers.rs, which decides memory or SQL.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use ipnet::IpNet;

use crate::admission::Admission;
use crate::db::Db;
use crate::guard::Guard;
use crate::provenance::SharedBody;
use crate::rollup::Rollup;
use crate::single_flight::SingleFlight;
use crate::window::Clock;

/// What every handler shares.
pub struct AppState {
    pub db: Arc<Db>,
    /// The in-memory copy that answers summaries when it is fresh (see rollup/).
    pub rollup: Arc<Rollup>,
    pub clock: Clock,
    /// Set on SIGTERM: readiness answers 503 so the load balancer stops sending traffic.
    pub draining: AtomicBool,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Identical concurrent requests (same path and query) share one computation.
    pub flights: SingleFlight<String, SharedBody>,
    /// API keys, rate limit and request limits.
    pub guard: Guard,
    /// Slots for expensive work (SQL path, CPU-heavy rollup work, exports).
    pub admission: Arc<Admission>,
}
