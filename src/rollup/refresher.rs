//! The background task that keeps the rollup equal to the database (within the staleness bound).
//!
//! Each round, on its own connection (requests never wait for it):
//! 1. recent rows — those from the start of the hour `ingest_lag` ago on: count them; if the
//!    count differs from ours, read their ids (LiteLLM's ("startTime", request_id) index, no
//!    JSON), load the new ones by primary key and reload the hours of any that vanished;
//! 2. warm-up: while the rollup does not reach back `horizon`, load the next older chunk;
//! 3. every `reconcile_interval`, and within seconds when Postgres' statistics show updates or
//!    deletes: compare rows per hour before the recent span with the database and reload the
//!    hours that differ (rows deleted by retention, or written later than the ingest lag) — the
//!    hours older than the row horizon only every tenth time, or on deletes;
//! 4. forget rows older than `horizon`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Object;

use super::store::{from_micros, hour_of, micros, tokens_fit, MICROS_PER_HOUR};
use super::Rollup;
use crate::db::Db;
use crate::queries::error::DbError;
use crate::queries::rollup as q;
use crate::queries::Statements;

/// The span the first warm-up query loads; later ones adapt to the table's density (a sparse
/// year of history should not take thousands of queries, a busy hour not one huge one), between
/// the smallest and largest span, and halve after a statement timeout.
const FIRST_CHUNK: i64 = 6 * MICROS_PER_HOUR;
const MAX_CHUNK: i64 = 16 * 24 * MICROS_PER_HOUR;
const MIN_CHUNK: i64 = MICROS_PER_HOUR / 12;
/// Rows one warm-up query aims at: enough that per-query costs vanish, few enough that the
/// store's write lock is held briefly and the rows in flight stay small.
const CHUNK_ROWS: usize = 50_000;
/// Ids per primary-key lookup.
const ID_BATCH: usize = 2_000;
/// Scheduled reconciliations compare the hours older than the row horizon once in this many.
const OLD_HOURS_EVERY: u32 = 10;
/// Reconciliations prompted by table activity run at most this often.
const MIN_RECONCILE_GAP: Duration = Duration::from_secs(2);

enum Round {
    /// Still loading older rows: go again at once.
    WarmingUp,
    /// Complete back to the horizon: wait for the next refresh.
    Current,
}

struct State {
    chunk: i64,
    last_reconcile: Option<Instant>,
    /// Reconciliations so far (every OLD_HOURS_EVERY-th covers the hours past the row horizon).
    reconciles: u32,
    /// Updates + deletes counted by Postgres at the last reconciliation.
    changes_at_reconcile: Option<i64>,
    started: Instant,
    announced_ready: bool,
    /// Readiness was announced (the last ANALYTICS_READY_DAYS loaded).
    announced_serving: bool,
    failures: u32,
}

/// Runs forever (until the runtime stops). Does nothing when the rollup is disabled.
pub async fn run(rollup: Arc<Rollup>, db: Arc<Db>) {
    let mut state = State {
        chunk: FIRST_CHUNK,
        last_reconcile: None,
        reconciles: 0,
        changes_at_reconcile: None,
        started: Instant::now(),
        announced_ready: false,
        announced_serving: false,
        failures: 0,
    };
    while rollup.enabled() {
        match round(&rollup, &db, &mut state).await {
            Ok(Round::WarmingUp) => {
                state.failures = 0;
                if !state.announced_serving && rollup.warm() {
                    state.announced_serving = true;
                    log::info!(
                        "rollup covers the last {} days after {:.1} s: ready; older days keep \
                         loading in the background (SQL answers windows reaching them)",
                        settings_days(rollup.settings.ready_span),
                        state.started.elapsed().as_secs_f64()
                    );
                }
                tokio::task::yield_now().await;
            }
            Ok(Round::Current) => {
                state.failures = 0;
                if !state.announced_ready {
                    state.announced_ready = true;
                    rollup.mark_warmed();
                    announce_ready(&rollup, state.started);
                }
                tokio::time::sleep(rollup.settings.refresh_interval).await;
            }
            Err(DbError::SourceUnavailable(why)) => {
                rollup.disable(&why);
            }
            Err(e) => {
                // Logged once per outage, not every round; requests fall back to SQL (and answer
                // 503 themselves while the database is away).
                if state.failures == 0 {
                    log::warn!("rollup refresh failed, retrying: {e}");
                }
                state.failures += 1;
                tokio::time::sleep(rollup.settings.refresh_interval.max(Duration::from_secs(1)))
                    .await;
            }
        }
    }
}

fn announce_ready(rollup: &Rollup, started: Instant) {
    if let Ok(store) = rollup.store.read() {
        log::info!(
            "rollup ready in {:.1} s: {} requests of {} agent versions since {}; summaries are \
             now answered from memory",
            started.elapsed().as_secs_f64(),
            store.rows_held(),
            store.series_count(),
            store.covered_from().map(from_micros).unwrap_or_default()
        );
    }
}

async fn round(rollup: &Rollup, db: &Db, state: &mut State) -> Result<Round, DbError> {
    let client = db.background_client().await?;
    let sql = db.statements(&client).await?;
    if let Some(why) = &sql.source_unavailable {
        return Err(DbError::SourceUnavailable(why.clone()));
    }
    let now = rollup.clock.now();
    let now_us = micros(now);
    let settings = &rollup.settings;
    // Rows at or after `floor` are tracked one by one (recent); hours before it are checked by
    // count (reconcile). Hour-aligned, so that every hour is in exactly one of the two.
    let floor =
        (now_us - duration_us(settings.ingest_lag)).div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR;
    let configured_horizon =
        (now_us - duration_us(settings.horizon)).div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR;
    let horizon = configured_horizon.max(rollup.memory_floor().unwrap_or(i64::MIN));
    let row_horizon = now_us - duration_us(settings.row_horizon);

    sync_recent(rollup, &client, &sql, floor).await?;
    rollup.mark_fresh(now);
    if let Some(mut store) = rollup.write() {
        store.evict_before(horizon);
        store.compact_before(row_horizon);
        store.shrink_days(horizon, floor);
        rollup.record_measures(&store);
    }
    keep_within_budget(rollup, configured_horizon, floor);

    let covered = rollup
        .store
        .read()
        .ok()
        .and_then(|s| s.covered_from())
        .unwrap_or(floor);
    let horizon = configured_horizon.max(rollup.memory_floor().unwrap_or(i64::MIN));
    if covered > horizon {
        let span = (horizon, covered, floor);
        load_older_chunks(rollup, db, (&client, &sql), state, span).await?;
        return Ok(Round::WarmingUp);
    }
    // Reconcile on schedule, or at once (at most every few seconds) when Postgres counted
    // updates or deletes since the last time: the retention job ran.
    let changes = q::table_changes(&client).await?;
    let since_last = state.last_reconcile.map(|at| at.elapsed());
    let scheduled = since_last.is_none_or(|d| d >= settings.reconcile_interval);
    let rows_changed = changes.is_some() && changes != state.changes_at_reconcile;
    if scheduled || (rows_changed && since_last.is_none_or(|d| d >= MIN_RECONCILE_GAP)) {
        // Hours older than the row horizon only change when rows are deleted (the retention
        // job) or written very late: compared when Postgres counted deletes, else every
        // OLD_HOURS_EVERY-th time, so a year of history does not cost a year of counts per round.
        let whole = rows_changed || state.reconciles.is_multiple_of(OLD_HOURS_EVERY);
        let from = if whole {
            covered
        } else {
            covered.max(row_horizon)
        };
        reconcile(rollup, &client, &sql, from, floor).await?;
        state.reconciles = state.reconciles.wrapping_add(1);
        state.last_reconcile = Some(Instant::now());
        state.changes_at_reconcile = changes;
    }
    Ok(Round::Current)
}

/// Holds the store to the memory budget. Past it, the oldest days are dropped until the store is
/// at 90% of the budget, and warm-up stops there (windows reaching further go to SQL); once the
/// store is below 75% (rows deleted, traffic down), the cut is lifted and warm-up reaches back
/// again. The margins keep it from loading and dropping the same day over and over.
fn keep_within_budget(rollup: &Rollup, configured_horizon: i64, floor: i64) {
    let Some(heap) = rollup.store.read().ok().map(|store| store.heap_bytes()) else {
        return;
    };
    rollup.record_heap(heap);
    let Some(budget) = rollup.settings.memory_budget else {
        return;
    };
    let budget = usize::try_from(budget).unwrap_or(usize::MAX);
    if heap <= budget {
        if rollup.memory_floor().is_some() && heap < budget / 4 * 3 {
            log::info!(
                "rollup: {} MB of its {} MB budget; loading older days again",
                heap >> 20,
                budget >> 20
            );
            rollup.set_memory_floor(None);
        }
        return;
    }
    let Some(mut store) = rollup.write() else {
        return;
    };
    let cut = budget_floor(&store, budget / 10 * 9, floor).max(configured_horizon);
    store.evict_before(cut);
    let heap = store.heap_bytes();
    rollup.record_heap(heap);
    rollup.record_measures(&store);
    if rollup.memory_floor() != Some(cut) {
        log::warn!(
            "rollup: over its memory budget ({} MB, ANALYTICS_MEMORY_LIMIT_MB); keeping the days \
             from {} on ({} MB); windows reaching further back are answered by SQL",
            budget >> 20,
            from_micros(cut),
            heap >> 20
        );
    }
    rollup.set_memory_floor(Some(cut));
}

/// The start of the oldest day to keep so that the store fits `target` bytes: days are dropped
/// oldest first, each taking its share of the interners with it (their ids go once no day holds
/// them). Never later than the start of the day `floor` is in (recent rows stay).
fn budget_floor(store: &super::store::Store, target: usize, floor: i64) -> i64 {
    let days = store.days_heap_bytes();
    let days_total: usize = days.values().sum();
    let shared = store.shared_heap_bytes();
    let mut total = days_total + shared;
    let last_day = floor.div_euclid(super::store::MICROS_PER_DAY);
    let mut keep_from = days.keys().next().copied().unwrap_or(last_day);
    for (day, bytes) in &days {
        if total <= target || *day >= last_day {
            break;
        }
        let share = shared as f64 * *bytes as f64 / days_total.max(1) as f64;
        total = total.saturating_sub(*bytes + share as usize);
        keep_from = day + 1;
    }
    keep_from * super::store::MICROS_PER_DAY
}

/// Picks up rows with startTime at or after `floor` that we do not hold yet, and notices ones
/// that disappeared.
async fn sync_recent(
    rollup: &Rollup,
    client: &Object,
    sql: &Statements,
    floor: i64,
) -> Result<(), DbError> {
    let floor_time = from_micros(floor);
    let (ours, first_time) = {
        let store = rollup.store.read().map_err(poisoned)?;
        (store.recent_count(floor), store.covered_from().is_none())
    };
    let theirs = q::recent_count(client, floor_time).await?;
    if !first_time && usize::try_from(theirs).ok() == Some(ours) {
        forget_settled(rollup, floor);
        return Ok(());
    }
    let present: HashMap<String, i64> = q::recent_ids(client, floor_time)
        .await?
        .into_iter()
        .map(|(id, at)| (id, micros(at)))
        .collect();
    let (new, vanished_hours) = {
        let store = rollup.store.read().map_err(poisoned)?;
        let known: HashSet<&str> = store.recent_ids(floor).map(|(id, _)| id).collect();
        let new: Vec<String> = present
            .keys()
            .filter(|id| !known.contains(id.as_str()))
            .cloned()
            .collect();
        let vanished: BTreeSet<i64> = store
            .recent_ids(floor)
            .filter(|(id, _)| !present.contains_key(*id))
            .map(|(_, at)| hour_of(at))
            .collect();
        (new, vanished)
    };
    for ids in new.chunks(ID_BATCH) {
        let rows = q::rows_by_id(client, sql, ids).await?;
        check_tokens_fit(&rows)?;
        rollup
            .write()
            .ok_or_else(|| poisoned(()))?
            .add(&rows, floor);
    }
    for hour in vanished_hours {
        reload_hour(rollup, client, sql, hour, floor).await?;
    }
    if first_time {
        rollup
            .write()
            .ok_or_else(|| poisoned(()))?
            .set_covered_from(floor);
    }
    forget_settled(rollup, floor);
    Ok(())
}

fn forget_settled(rollup: &Rollup, floor: i64) {
    if let Some(mut store) = rollup.write() {
        store.forget_recent_before(floor);
    }
}

/// Loads the next two spans below what is covered, newest first, so that short windows become
/// answerable from memory first: one on the refresher's connection and, at the same time, the
/// one below it on a second background connection (Postgres spends most of the warm-up opening
/// JSON, one core per query). Hour-aligned below the first (unaligned) boundary, so
/// reconciliation sees whole hours.
async fn load_older_chunks(
    rollup: &Rollup,
    db: &Db,
    (client, sql): (&Object, &Statements),
    state: &mut State,
    (horizon, covered, floor): (i64, i64, i64),
) -> Result<(), DbError> {
    let below =
        |t: i64| ((t - state.chunk).div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR).max(horizon);
    let middle = below(covered);
    let from = below(middle);
    let newer = q::rows_between(client, sql, from_micros(middle), from_micros(covered));
    let (newer, older) = if from < middle {
        let second = db.background_client().await?;
        let older = q::rows_between(&second, sql, from_micros(from), from_micros(middle));
        let (newer, older) = tokio::join!(newer, older);
        (newer, Some(older))
    } else {
        (newer.await, None)
    };
    let loaded = newer.and_then(|newer| {
        older
            .transpose()
            .map(|older| (newer, older.unwrap_or_default()))
    });
    match loaded {
        Ok((newer, older)) => {
            check_tokens_fit(&newer)?;
            check_tokens_fit(&older)?;
            let rows = if older.is_empty() {
                newer.len()
            } else {
                (newer.len() + older.len()) / 2
            };
            state.chunk = next_chunk(state.chunk, rows);
            let mut store = rollup.write().ok_or_else(|| poisoned(()))?;
            store.add(&newer, floor);
            store.add(&older, floor);
            store.set_covered_from(from);
            rollup.record_measures(&store);
            Ok(())
        }
        Err(DbError::Timeout) if state.chunk > MIN_CHUNK => {
            state.chunk = (state.chunk / 2).max(MIN_CHUNK);
            log::info!(
                "rollup warm-up: a chunk hit the statement timeout; loading {} minutes at a time",
                state.chunk / 60_000_000
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The next warm-up span after one of `chunk` returned `rows`: doubled while rows are sparse,
/// halved while they are dense.
fn next_chunk(chunk: i64, rows: usize) -> i64 {
    if rows < CHUNK_ROWS / 2 {
        (chunk * 2).min(MAX_CHUNK)
    } else if rows > CHUNK_ROWS * 2 {
        (chunk / 2).max(MIN_CHUNK)
    } else {
        chunk
    }
}

/// Reloads every whole hour in the covered span whose row count differs from the database's.
async fn reconcile(
    rollup: &Rollup,
    client: &Object,
    sql: &Statements,
    covered: i64,
    floor: i64,
) -> Result<(), DbError> {
    let from = covered.div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR
        + if covered % MICROS_PER_HOUR == 0 {
            0
        } else {
            MICROS_PER_HOUR
        };
    let to = floor.div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR;
    if from >= to {
        return Ok(());
    }
    let theirs: HashMap<i64, u64> = q::hour_counts(client, from_micros(from), from_micros(to))
        .await?
        .into_iter()
        .map(|(hour, n)| (hour_of(micros(hour)), u64::try_from(n).unwrap_or(0)))
        .collect();
    let ours = rollup.store.read().map_err(poisoned)?.hour_counts(from, to);
    let differing: BTreeSet<i64> = theirs
        .iter()
        .filter(|(hour, n)| ours.get(hour) != Some(n))
        .map(|(hour, _)| *hour)
        .chain(
            ours.keys()
                .filter(|hour| !theirs.contains_key(hour))
                .copied(),
        )
        .collect();
    if !differing.is_empty() {
        log::info!(
            "rollup: {} hour(s) changed in the database (deleted or late rows); reloading them",
            differing.len()
        );
    }
    for hour in differing {
        reload_hour(rollup, client, sql, hour, floor).await?;
    }
    Ok(())
}

async fn reload_hour(
    rollup: &Rollup,
    client: &Object,
    sql: &Statements,
    hour: i64,
    floor: i64,
) -> Result<(), DbError> {
    let (from, to) = (hour * MICROS_PER_HOUR, (hour + 1) * MICROS_PER_HOUR);
    let rows = q::rows_between(client, sql, from_micros(from), from_micros(to)).await?;
    check_tokens_fit(&rows)?;
    rollup
        .write()
        .ok_or_else(|| poisoned(()))?
        .replace_between(from, to, &rows, floor);
    Ok(())
}

/// Token counts are INTEGER in LiteLLM's schema and kept as 32-bit numbers; a fork with larger
/// values would not fit, so refuse (SQL then answers everything) instead of miscounting.
fn check_tokens_fit(rows: &[q::LoadedRow]) -> Result<(), DbError> {
    if rows.iter().filter_map(|r| r.agent.as_ref()).all(tokens_fit) {
        return Ok(());
    }
    Err(DbError::SourceUnavailable(
        "token counts beyond the 32-bit range found; this database is served by SQL only"
            .to_string(),
    ))
}

fn settings_days(d: Duration) -> u64 {
    d.as_secs() / 86_400
}

fn duration_us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 4)
}

fn poisoned<T>(_: T) -> DbError {
    DbError::Internal("rollup lock poisoned".to_string())
}
