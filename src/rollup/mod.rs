//! The in-memory rollup: an exact, continuously refreshed copy of what the summary endpoints
//! need, so that they answer in microseconds whatever the table's size.
//!
//! A background task (refresher.rs) loads the rows of the last `horizon` (newest first), then
//! every `refresh_interval` re-reads the ids of the rows written within the ingest lag to pick up
//! new ones, and every `reconcile_interval` compares hourly row counts with the database to drop
//! deleted rows and catch very late ones. Requests use the rollup when it covers their window and
//! its data is at most `max_staleness` old; otherwise they go to SQL. Either way the answer is the
//! same; the response says which (`X-Data-Source`) and how fresh (`X-Data-As-Of`).

mod by_id;
mod compacted;
mod compute;
mod record;
mod refresher;
pub mod store;
mod summaries;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use chrono::{Duration, NaiveDateTime};

pub use compute::{EdgeRecords, PageCandidates};
pub use refresher::run as run_refresher;
use store::{from_micros, micros, Store};
pub use summaries::CatalogEdges;

use crate::config::RollupSettings;
use crate::queries::rollup::LoadedRow;
use crate::window::Clock;

pub struct Rollup {
    settings: RollupSettings,
    clock: Clock,
    store: RwLock<Store>,
    /// When the rollup last matched the database (the start of its last successful refresh).
    as_of: RwLock<Option<NaiveDateTime>>,
    disabled: std::sync::atomic::AtomicBool,
    /// Loaded back to the horizon at least once.
    warmed: std::sync::atomic::AtomicBool,
    /// What the refresher last measured, for health checks that must not wait for the store's
    /// lock: the store's heap, its rows, how far back it is complete ([`NOT_SET`]: not yet).
    heap_bytes: AtomicU64,
    rows_held: AtomicU64,
    covered_from_us: AtomicI64,
    /// The memory budget's floor: nothing older is kept ([`NOT_SET`]: the budget has not cut the
    /// horizon short).
    memory_floor_us: AtomicI64,
    /// Database rows of single old hours, read for window edges inside them.
    edges: Mutex<EdgeCache>,
}

/// Rows of old hours by (agent, version, hour), kept while the store has reloaded no hour since
/// they were read (rows deleted or written late change what an hour holds).
#[derive(Default)]
struct EdgeCache {
    reloads: u64,
    hours: HashMap<(String, String, i64), Arc<Vec<LoadedRow>>>,
}

/// Hours the edge cache holds at most (then it starts over): rolling long windows need one or two
/// per agent version at a time.
const EDGE_CACHE_HOURS: usize = 512;

const NOT_SET: i64 = i64::MIN;

/// What the health checks report about the rollup.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupStatus {
    pub enabled: bool,
    pub ready: bool,
    pub covered_from: Option<NaiveDateTime>,
    pub heap_bytes: u64,
    pub rows_held: u64,
    /// The memory budget cut the horizon short at this instant.
    pub memory_floor: Option<NaiveDateTime>,
}

/// Read access to a rollup fresh enough for one request.
pub struct Snapshot<'a> {
    pub store: RwLockReadGuard<'a, Store>,
    pub as_of: NaiveDateTime,
}

impl Rollup {
    pub fn new(settings: RollupSettings, clock: Clock) -> Rollup {
        Rollup {
            disabled: std::sync::atomic::AtomicBool::new(!settings.enabled),
            warmed: std::sync::atomic::AtomicBool::new(false),
            heap_bytes: AtomicU64::new(0),
            rows_held: AtomicU64::new(0),
            covered_from_us: AtomicI64::new(NOT_SET),
            memory_floor_us: AtomicI64::new(NOT_SET),
            edges: Mutex::new(EdgeCache::default()),
            settings,
            clock,
            store: RwLock::new(Store::default()),
            as_of: RwLock::new(None),
        }
    }

    pub fn settings(&self) -> &RollupSettings {
        &self.settings
    }

    pub fn enabled(&self) -> bool {
        !self.disabled.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether requests can be served at full speed: the rollup is off (nothing to wait for),
    /// has loaded its horizon (or what the memory budget allows of it), or already covers the
    /// last `ready_span` — the windows dashboards ask for; the rest of the horizon keeps loading
    /// in the background while SQL answers the longer windows. Readiness waits for this, so a
    /// starting instance gets traffic once it answers the usual windows from memory.
    pub fn warm(&self) -> bool {
        if !self.enabled() || self.warmed.load(Ordering::Relaxed) {
            return true;
        }
        let covered = self.covered_from_us.load(Ordering::Relaxed);
        let span = Duration::from_std(self.settings.ready_span).unwrap_or(Duration::MAX);
        covered != NOT_SET && covered <= micros(self.clock.now() - span)
    }

    /// What the health checks report, without waiting for the store.
    pub fn status(&self) -> RollupStatus {
        let at = |us: i64| (us != NOT_SET).then(|| from_micros(us));
        RollupStatus {
            enabled: self.enabled(),
            ready: self.warm(),
            covered_from: at(self.covered_from_us.load(Ordering::Relaxed)),
            heap_bytes: self.heap_bytes.load(Ordering::Relaxed),
            rows_held: self.rows_held.load(Ordering::Relaxed),
            memory_floor: at(self.memory_floor_us.load(Ordering::Relaxed)),
        }
    }

    /// Records what the refresher measured of the store (for [`Rollup::status`]).
    fn record_measures(&self, store: &Store) {
        self.covered_from_us
            .store(store.covered_from().unwrap_or(NOT_SET), Ordering::Relaxed);
        self.rows_held
            .store(store.rows_held() as u64, Ordering::Relaxed);
    }

    fn record_heap(&self, bytes: usize) {
        self.heap_bytes.store(bytes as u64, Ordering::Relaxed);
    }

    /// The memory budget's floor, if it cut the horizon short.
    fn memory_floor(&self) -> Option<i64> {
        let floor = self.memory_floor_us.load(Ordering::Relaxed);
        (floor != NOT_SET).then_some(floor)
    }

    fn set_memory_floor(&self, floor: Option<i64>) {
        self.memory_floor_us
            .store(floor.unwrap_or(NOT_SET), Ordering::Relaxed);
    }

    fn mark_warmed(&self) {
        self.warmed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn disable(&self, why: &str) {
        log::error!("rollup disabled, every request is answered by SQL: {why}");
        self.disabled
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The rollup, if it can answer a window `[start, now]`: loaded back to `start`, and
    /// refreshed no longer than `max_staleness` before `now`. Days older than the row horizon
    /// hold totals only: summaries and the catalog read this; answers that need records,
    /// [`Rollup::read_records`].
    pub fn read(&self, start: NaiveDateTime, now: NaiveDateTime) -> Option<Snapshot<'_>> {
        if !self.enabled() {
            return None;
        }
        let as_of = (*self.as_of.read().ok()?)?;
        let max_staleness = Duration::from_std(self.settings.max_staleness).ok()?;
        if now - as_of > max_staleness {
            return None;
        }
        let store = self.store.read().ok()?;
        store
            .covers(micros(start))
            .then_some(Snapshot { store, as_of })
    }

    /// As [`Rollup::read`], for answers that need one record per request (lists, rankings, a
    /// session, existence checks): those are kept only within the row horizon.
    pub fn read_records(&self, start: NaiveDateTime, now: NaiveDateTime) -> Option<Snapshot<'_>> {
        self.read(start, now)
            .filter(|snapshot| snapshot.store.covers_records(micros(start)))
    }

    /// An old hour's rows of an agent version read earlier, if no hour was reloaded since
    /// (`reloads`: the store's count when the caller looked).
    pub fn cached_edge(
        &self,
        agent: (&str, &str),
        hour: i64,
        reloads: u64,
    ) -> Option<Arc<Vec<LoadedRow>>> {
        let cache = self.edges.lock().ok()?;
        if cache.reloads != reloads {
            return None;
        }
        let key = (agent.0.to_string(), agent.1.to_string(), hour);
        cache.hours.get(&key).cloned()
    }

    /// Keeps an old hour's rows, read from the database when the store had `reloads` reloads.
    pub fn cache_edge(
        &self,
        agent: (&str, &str),
        hour: i64,
        reloads: u64,
        rows: Arc<Vec<LoadedRow>>,
    ) {
        let Ok(mut cache) = self.edges.lock() else {
            return;
        };
        if cache.reloads != reloads || cache.hours.len() >= EDGE_CACHE_HOURS {
            cache.hours.clear();
            cache.reloads = reloads;
        }
        let key = (agent.0.to_string(), agent.1.to_string(), hour);
        cache.hours.insert(key, rows);
    }

    fn write(&self) -> Option<std::sync::RwLockWriteGuard<'_, Store>> {
        self.store.write().ok()
    }

    fn mark_fresh(&self, at: NaiveDateTime) {
        if let Ok(mut as_of) = self.as_of.write() {
            *as_of = Some(at);
        }
    }

    /// How far back the rollup is complete, for logs.
    pub fn covered_from(&self) -> Option<NaiveDateTime> {
        self.store
            .read()
            .ok()
            .and_then(|s| s.covered_from())
            .map(from_micros)
    }
}
