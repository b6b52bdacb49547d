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
mod compute;
mod refresher;
pub mod store;
mod summaries;

use std::sync::{RwLock, RwLockReadGuard};

use chrono::{Duration, NaiveDateTime};

pub use compute::PageCandidates;
pub use refresher::run as run_refresher;
use store::{from_micros, micros, Store};

use crate::config::RollupSettings;
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

    /// Whether requests can be served at full speed: the rollup is off (nothing to wait for) or
    /// has loaded its horizon. Readiness waits for this, so a starting instance gets traffic only
    /// once it can answer from memory.
    pub fn warm(&self) -> bool {
        !self.enabled() || self.warmed.load(std::sync::atomic::Ordering::Relaxed)
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
    /// refreshed no longer than `max_staleness` before `now`.
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
