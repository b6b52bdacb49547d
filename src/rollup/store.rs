//! The in-memory copy of what the agent endpoints need from "LiteLLM_SpendLogs": per agent and
//! version, one small record per request, grouped by UTC day with each day's totals and distinct
//! session/user ids kept up to date. This file holds the data and its maintenance; compute.rs
//! answers questions from it. Nothing here touches the database; the refresher feeds it.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use hashbrown::HashTable;
use roaring::{MultiOps, RoaringBitmap};

use super::compacted::Compacted;
pub(super) use super::record::{
    Rec, Totals, CACHE_HIT, FAILED, HAS_REPLY, HAS_TOOLS, NONE, NO_DURATION,
};
pub use super::record::{MICROS_PER_DAY, MICROS_PER_HOUR};
use crate::queries::rollup::{AgentFields, LoadedRow};
use crate::window::checked_from_micros;

pub use crate::window::micros;

/// The instant of `us` (the epoch for one chrono cannot represent; rollup values never are).
pub fn from_micros(us: i64) -> NaiveDateTime {
    checked_from_micros(us).unwrap_or_default()
}

pub fn day_of(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_DAY)
}

pub fn hour_of(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_HOUR)
}

/// One UTC day of one agent+version: its records (sorted by time) and running totals; once older
/// than the row horizon, instead of records its per-hour totals and latencies ([`Compacted`]).
#[derive(Debug, Default, Clone)]
pub(super) struct Day {
    /// The records (a compacted day: none, except while a reloaded hour is being folded in).
    pub rows: Vec<Rec>,
    /// The request_ids of `rows`, back to back (a day's ids in one allocation).
    pub ids: String,
    pub totals: Totals,
    /// Distinct session / user ids seen this day (interned, so a window's distinct count is a
    /// union of compressed bitmaps, whatever the number of sessions).
    pub sessions: RoaringBitmap,
    pub users: RoaringBitmap,
    /// Records were appended out of time order since the last [`Day::settle`].
    unsorted: bool,
    /// Set once the day is older than the row horizon: its records are folded in here.
    pub compacted: Option<Box<Compacted>>,
    /// A records day's per-hour totals and sorted latencies, as a compacted day keeps them:
    /// built by the first request that needs them, dropped whenever the day changes (see
    /// [`Day::hourly`]).
    hourly: OnceLock<Box<Compacted>>,
}

impl Day {
    pub fn request_id(&self, rec: &Rec) -> &str {
        let from = rec.id_at as usize;
        self.ids
            .get(from..from + usize::from(rec.id_len))
            .unwrap_or_default()
    }

    /// The day's per-hour totals and sorted latencies: a compacted day's, or built once from the
    /// records (a window's percentiles then bisect on these, and an edge day adds whole hours'
    /// totals and reads records only for the hour the edge cuts).
    pub fn hourly(&self, day_start: i64) -> &Compacted {
        if let Some(compacted) = &self.compacted {
            return compacted;
        }
        self.hourly.get_or_init(|| {
            let mut hourly = Compacted::default();
            hourly.add(day_start, &self.rows);
            Box::new(hourly)
        })
    }

    fn insert(&mut self, mut rec: Rec, request_id: &str) {
        self.hourly = OnceLock::new();
        rec.id_at = self.ids.len() as u32;
        rec.id_len = u16::try_from(request_id.len()).unwrap_or(u16::MAX);
        self.ids.push_str(
            request_id
                .get(..usize::from(rec.id_len))
                .unwrap_or_default(),
        );
        // Appended, and put in order once per batch by `settle`: warm-up loads newest first,
        // so inserting each record in place would move the day's newer records every time.
        self.unsorted |= self.rows.last().is_some_and(|last| last.ts > rec.ts);
        self.rows.push(rec);
        self.totals.add(&rec);
        insert_id(&mut self.sessions, rec.session);
        insert_id(&mut self.users, rec.user);
    }

    /// Puts the records in time order. The sort is stable, so records with the same startTime
    /// stay in the order they were added, as inserting each in place after its equals did. A
    /// compacted day folds records added to it (a reloaded hour) into its hours.
    fn settle(&mut self, day_start: i64) {
        if self.unsorted {
            self.rows.sort_by_key(|r| r.ts);
            self.unsorted = false;
        }
        if let Some(compacted) = &mut self.compacted {
            if !self.rows.is_empty() {
                compacted.add(day_start, &self.rows);
                self.rows = Vec::new();
                self.ids = String::new();
            }
        }
    }

    /// Replaces the records with per-hour totals and latencies (the day is older than the row
    /// horizon: only summaries read it now).
    fn compact(&mut self, day_start: i64) {
        if self.compacted.is_none() {
            let mut compacted = Compacted::default();
            compacted.add(day_start, &self.rows);
            self.compacted = Some(Box::new(compacted));
            self.rows = Vec::new();
            self.ids = String::new();
            self.hourly = OnceLock::new();
        }
    }

    pub fn is_compacted(&self) -> bool {
        self.compacted.is_some()
    }

    /// The day without its requests in `[from, to)` (whole hours, for a compacted day), totals
    /// recomputed and ids compacted.
    fn without(self, day_start: i64, from: i64, to: i64) -> Day {
        if let Some(mut compacted) = self.compacted {
            compacted.remove_hours(day_start, from, to);
            let (totals, sessions, users) = compacted.day_totals();
            return Day {
                totals,
                sessions,
                users,
                compacted: Some(compacted),
                ..Day::default()
            };
        }
        let mut day = Day::default();
        for rec in self.rows.iter().filter(|r| r.ts < from || r.ts >= to) {
            let mut kept = *rec;
            kept.id_at = day.ids.len() as u32;
            day.ids.push_str(self.request_id(rec));
            day.rows.push(kept);
            day.totals.add(rec);
        }
        day.sessions = distinct(day.rows.iter().map(|r| r.session));
        day.users = distinct(day.rows.iter().map(|r| r.user));
        day
    }

    /// Gives back the spare capacity of a day that is no longer being loaded into.
    fn shrink(&mut self) {
        self.rows.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    /// The heap this day takes (estimated for the bitmaps and the map entry).
    fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Day>()
            + 64
            + self.rows.capacity() * std::mem::size_of::<Rec>()
            + self.ids.capacity()
            + self.sessions.serialized_size()
            + self.users.serialized_size()
            + self
                .compacted
                .as_ref()
                .map_or(0, |c| std::mem::size_of::<Compacted>() + c.heap_bytes())
    }

    /// The records with `start <= ts <= end`.
    pub fn slice(&self, start: i64, end: i64) -> &[Rec] {
        let from = self.rows.partition_point(|r| r.ts < start);
        let to = self.rows.partition_point(|r| r.ts <= end);
        &self.rows[from..to.max(from)]
    }
}

fn insert_id(ids: &mut RoaringBitmap, id: u32) {
    if id != NONE {
        ids.insert(id);
    }
}

fn distinct(ids: impl Iterator<Item = u32>) -> RoaringBitmap {
    ids.filter(|id| *id != NONE).collect()
}

/// Maps distinct strings to small ids, so distinct counts are bit operations. The strings sit
/// back to back in one arena and the table holds only their ids (about 10 bytes per value beyond
/// its characters, where a map of shared strings takes ~70): with one session per request, as on
/// many proxies, this is most of the store.
#[derive(Default)]
pub(super) struct Interner {
    arena: String,
    /// Where each value ends in `arena` (it starts where the previous one ends).
    ends: Vec<u64>,
    table: HashTable<u32>,
    hasher: RandomState,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("values", &self.ends.len())
            .finish()
    }
}

impl Interner {
    fn id(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return NONE };
        let hash = self.hasher.hash_one(value);
        let Interner {
            arena, ends, table, ..
        } = self;
        if let Some(id) = table.find(hash, |id| value_at(arena, ends, *id) == value) {
            return *id;
        }
        let id = u32::try_from(ends.len()).unwrap_or(NONE);
        arena.push_str(value);
        ends.push(arena.len() as u64);
        let hasher = &self.hasher;
        let (arena, ends) = (&self.arena, &self.ends);
        self.table
            .insert_unique(hash, id, |id| hasher.hash_one(value_at(arena, ends, *id)));
        id
    }

    pub fn value(&self, id: u32) -> Option<&str> {
        ((id as usize) < self.ends.len()).then(|| value_at(&self.arena, &self.ends, id))
    }

    pub fn get(&self, value: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(value);
        self.table
            .find(hash, |id| value_at(&self.arena, &self.ends, *id) == value)
            .copied()
    }

    /// How many distinct values: every id is below this.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.ends.capacity() * std::mem::size_of::<u64>()
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    /// An interner of only the values `keep` accepts, and each old id's new id ([`NONE`] for the
    /// dropped ones).
    fn compacted(&self, keep: &RoaringBitmap) -> (Interner, Vec<u32>) {
        let mut kept = Interner::default();
        let mut new_ids = vec![NONE; self.len()];
        for id in keep.iter().filter(|id| (*id as usize) < self.len()) {
            new_ids[id as usize] = kept.id(Some(value_at(&self.arena, &self.ends, id)));
        }
        kept.arena.shrink_to_fit();
        kept.ends.shrink_to_fit();
        kept.table
            .shrink_to_fit(|id| kept.hasher.hash_one(value_at(&kept.arena, &kept.ends, *id)));
        (kept, new_ids)
    }
}

fn value_at<'a>(arena: &'a str, ends: &[u64], id: u32) -> &'a str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] as usize };
    arena.get(start..ends[id] as usize).unwrap_or_default()
}

/// Everything kept for one agent+version.
#[derive(Debug, Default)]
pub(super) struct Series {
    pub days: BTreeMap<i64, Day>,
    pub sessions: Interner,
    pub users: Interner,
    pub models: Interner,
}

impl Series {
    fn add(&mut self, start_us: i64, request_id: &str, fields: &AgentFields) {
        let session = self.sessions.id(fields.session.as_deref());
        let user = self.users.id(fields.user.as_deref());
        let model = u16::try_from(self.models.id(Some(&fields.model))).unwrap_or(u16::MAX);
        let rec = record(start_us, fields, (session, user, model));
        self.days
            .entry(day_of(start_us))
            .or_default()
            .insert(rec, request_id);
    }

    /// Rebuilds the session and user interners with only the ids some day still holds, when
    /// evicted days left more than a fifth of them unused: without this, a rolling horizon with
    /// one new session per request would keep every session id it ever saw.
    fn compact_interners(&mut self) {
        compact_interner(&mut self.sessions, &mut self.days, Ids::Sessions);
        compact_interner(&mut self.users, &mut self.days, Ids::Users);
    }

    fn heap_bytes(&self) -> usize {
        self.sessions.heap_bytes() + self.users.heap_bytes() + self.models.heap_bytes()
    }

    /// Drops the records with `from <= ts < to`.
    fn remove_between(&mut self, from: i64, to: i64) {
        if from >= to {
            return;
        }
        let affected: Vec<i64> = self
            .days
            .range(day_of(from)..=day_of(to - 1))
            .map(|(d, _)| *d)
            .collect();
        for d in affected {
            let Some(day) = self.days.remove(&d) else {
                continue;
            };
            let day_start = d * MICROS_PER_DAY;
            if from <= day_start && day_start + MICROS_PER_DAY <= to {
                continue;
            }
            let kept = day.without(day_start, from, to);
            if kept.totals.requests > 0 {
                self.days.insert(d, kept);
            }
        }
    }
}

/// Which interned ids: sessions or users.
#[derive(Clone, Copy, PartialEq)]
enum Ids {
    Sessions,
    Users,
}

impl Ids {
    fn of_day(self, day: &Day) -> &RoaringBitmap {
        match self {
            Ids::Sessions => &day.sessions,
            Ids::Users => &day.users,
        }
    }

    fn of_day_mut(self, day: &mut Day) -> &mut RoaringBitmap {
        match self {
            Ids::Sessions => &mut day.sessions,
            Ids::Users => &mut day.users,
        }
    }

    fn of_record(self, rec: &mut Rec) -> &mut u32 {
        match self {
            Ids::Sessions => &mut rec.session,
            Ids::Users => &mut rec.user,
        }
    }
}

/// Rebuilds `interner` with only the ids of `which` some day still holds, renumbering them in
/// the days, when more than a fifth are unused.
fn compact_interner(interner: &mut Interner, days: &mut BTreeMap<i64, Day>, which: Ids) {
    let live = days.values().map(|d| which.of_day(d)).union();
    if !garbage(interner.len(), live.len()) {
        return;
    }
    let (kept, new_ids) = interner.compacted(&live);
    *interner = kept;
    for day in days.values_mut() {
        for rec in &mut day.rows {
            let id = which.of_record(rec);
            *id = remap(&new_ids, *id);
        }
        let set = which.of_day_mut(day);
        *set = remap_set(set, &new_ids);
        if let Some(compacted) = &mut day.compacted {
            compacted.remap(which == Ids::Sessions, |id| remap(&new_ids, id));
        }
    }
}

fn garbage(interned: usize, live: u64) -> bool {
    interned as u64 > live + live / 4 + 1024
}

fn remap(new_ids: &[u32], id: u32) -> u32 {
    new_ids.get(id as usize).copied().unwrap_or(NONE)
}

fn remap_set(set: &RoaringBitmap, new_ids: &[u32]) -> RoaringBitmap {
    set.iter()
        .map(|id| remap(new_ids, id))
        .filter(|id| *id != NONE)
        .collect()
}

/// The record of a row, given its interned (session, user, model).
pub(super) fn record(
    start_us: i64,
    fields: &AgentFields,
    (session, user, model): (u32, u32, u16),
) -> Rec {
    let flags = [
        (fields.failed, FAILED),
        (fields.cache_hit, CACHE_HIT),
        (fields.has_tools, HAS_TOOLS),
        (fields.has_reply, HAS_REPLY),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0, |acc, (_, flag)| acc | flag);
    Rec {
        ts: start_us,
        spend: fields.spend,
        duration_us: fields.duration_us.unwrap_or(NO_DURATION),
        ttft_us: fields.ttft_us.unwrap_or(NO_DURATION),
        prompt: narrow(fields.prompt_tokens),
        completion: narrow(fields.completion_tokens),
        total: narrow(fields.total_tokens),
        cached: narrow(fields.cached_tokens),
        session,
        user,
        id_at: 0,
        id_len: 0,
        model,
        flags,
    }
}

/// Token counts are INTEGER in LiteLLM's schema; the refresher refuses rows beyond that range
/// (see `tokens_fit`), so this never saturates on real data.
fn narrow(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

/// Whether a row's counts fit the records' 32-bit fields.
pub fn tokens_fit(fields: &AgentFields) -> bool {
    [
        fields.prompt_tokens,
        fields.completion_tokens,
        fields.total_tokens,
        fields.cached_tokens,
    ]
    .iter()
    .all(|v| i32::try_from(*v).is_ok())
}

/// The whole in-memory copy. `covered_from` says from when on it is complete.
#[derive(Debug, Default)]
pub struct Store {
    pub(super) series: HashMap<(String, String), Series>,
    /// Rows of every kind loaded per hour (by startTime), compared with the database's count to
    /// find hours that changed behind our back (deletions, very late inserts).
    hour_rows: BTreeMap<i64, u64>,
    /// All rows with startTime at or after this instant are loaded.
    covered_from: Option<i64>,
    /// Rows at or after the ingest-lag floor, by request_id: how new rows are told from seen ones.
    recent: HashMap<String, i64>,
    /// Records (with their request_ids) are kept for the days from this instant on (the row
    /// horizon); older days are compacted to what summaries need.
    records_from: Option<i64>,
    /// Counts reloads of hours (rows deleted or written late): rows read for an edge hour
    /// earlier are only reused while this is unchanged.
    reloads: u64,
}

impl Store {
    pub fn covered_from(&self) -> Option<i64> {
        self.covered_from
    }

    pub fn set_covered_from(&mut self, from: i64) {
        self.covered_from = Some(from);
    }

    /// Whether everything from `start` on is loaded.
    pub fn covers(&self, start: i64) -> bool {
        self.covered_from.is_some_and(|c| c <= start)
    }

    /// Whether everything from `start` on is loaded as records with their request_ids (what
    /// lists, rankings and a session's requests need).
    pub fn covers_records(&self, start: i64) -> bool {
        self.covers(start)
            && self
                .records_from
                .is_none_or(|from| from <= start || !self.has_compacted_days(start, from))
    }

    /// Whether a compacted day overlaps `[start, before)`: a window starting earlier than the
    /// row horizon still has all its records when no older day was compacted (a table younger
    /// than the row horizon, or an agent version that is).
    fn has_compacted_days(&self, start: i64, before: i64) -> bool {
        self.series.values().any(|series| {
            series
                .days
                .range(day_of(start)..day_of(before))
                .any(|(_, day)| day.is_compacted())
        })
    }

    /// Compacts the days before the one `row_horizon` falls in.
    pub fn compact_before(&mut self, row_horizon: i64) {
        let first_kept = day_of(row_horizon);
        for series in self.series.values_mut() {
            series
                .days
                .range_mut(..first_kept)
                .filter(|(_, day)| !day.is_compacted())
                .for_each(|(d, day)| day.compact(d * MICROS_PER_DAY));
        }
        self.records_from = Some(first_kept * MICROS_PER_DAY);
    }

    /// Adds rows the database returned. Rows already known (same request_id among the recent
    /// ones) are skipped, so overlapping reads never count a row twice.
    pub fn add(&mut self, rows: &[LoadedRow], recent_floor: i64) -> usize {
        let mut added = 0;
        for row in rows {
            let start_us = micros(row.start_time);
            if start_us >= recent_floor {
                if self.recent.contains_key(&row.request_id) {
                    continue;
                }
                self.recent.insert(row.request_id.clone(), start_us);
            }
            *self.hour_rows.entry(hour_of(start_us)).or_default() += 1;
            if let Some(fields) = &row.agent {
                self.series
                    .entry((fields.name.clone(), fields.version.clone()))
                    .or_default()
                    .add(start_us, &row.request_id, fields);
            }
            added += 1;
        }
        if added > 0 {
            self.series
                .values_mut()
                .flat_map(|s| s.days.iter_mut())
                .for_each(|(d, day)| day.settle(d * MICROS_PER_DAY));
        }
        added
    }

    /// Replaces everything in `[from, to)` (whole hours) with `rows`: a reload after the hour's
    /// row count disagreed with the database.
    pub fn replace_between(&mut self, from: i64, to: i64, rows: &[LoadedRow], recent_floor: i64) {
        self.reloads += 1;
        self.remove_between(from, to);
        self.add(rows, recent_floor);
    }

    fn remove_between(&mut self, from: i64, to: i64) {
        if from >= to {
            return;
        }
        for series in self.series.values_mut() {
            series.remove_between(from, to);
        }
        self.series.retain(|_, s| !s.days.is_empty());
        let hours: Vec<i64> = self
            .hour_rows
            .range(hour_of(from)..hour_of(to))
            .map(|(h, _)| *h)
            .collect();
        for h in hours {
            self.hour_rows.remove(&h);
        }
        self.recent.retain(|_, ts| *ts < from || *ts >= to);
    }

    /// Forgets rows older than `horizon` (an hour boundary): the oldest windows we answer.
    pub fn evict_before(&mut self, horizon: i64) {
        if let Some(oldest) = self.hour_rows.keys().next().copied() {
            if oldest * MICROS_PER_HOUR < horizon {
                self.remove_between(oldest * MICROS_PER_HOUR, horizon);
                self.series.values_mut().for_each(Series::compact_interners);
            }
        }
        if let Some(covered) = self.covered_from {
            self.covered_from = Some(covered.max(horizon));
        }
    }

    /// request_ids of rows at or after `floor` that we hold.
    pub fn recent_ids(&self, floor: i64) -> impl Iterator<Item = (&str, i64)> {
        self.recent
            .iter()
            .filter(move |(_, ts)| **ts >= floor)
            .map(|(id, ts)| (id.as_str(), *ts))
    }

    pub fn recent_count(&self, floor: i64) -> usize {
        self.recent.values().filter(|ts| **ts >= floor).count()
    }

    /// Recent rows older than `floor` are settled: stop tracking their ids.
    pub fn forget_recent_before(&mut self, floor: i64) {
        self.recent.retain(|_, ts| *ts >= floor);
    }

    /// Our row count per hour in `[from, to)`.
    pub fn hour_counts(&self, from: i64, to: i64) -> BTreeMap<i64, u64> {
        if hour_of(from) >= hour_of(to) {
            return BTreeMap::new();
        }
        self.hour_rows
            .range(hour_of(from)..hour_of(to))
            .map(|(h, n)| (*h, *n))
            .collect()
    }

    /// How many hours were reloaded so far (see [`Store::replace_between`]).
    pub fn reloads(&self) -> u64 {
        self.reloads
    }

    /// Requests held, as records or in compacted days' totals.
    pub fn rows_held(&self) -> usize {
        self.series
            .values()
            .flat_map(|s| s.days.values())
            .map(|d| usize::try_from(d.totals.requests).unwrap_or(0))
            .sum()
    }

    /// Gives back the spare capacity of the days wholly within `[from, to)`: loaded, and no
    /// longer growing (a no-op for days already tight).
    pub fn shrink_days(&mut self, from: i64, to: i64) {
        let first = day_of(from) + i64::from(from.rem_euclid(MICROS_PER_DAY) != 0);
        let last = day_of(to) - 1;
        if first > last {
            return;
        }
        for series in self.series.values_mut() {
            series
                .days
                .range_mut(first..=last)
                .for_each(|(_, day)| day.shrink());
        }
    }

    /// The heap the store takes, estimated from its allocations' capacities (bitmaps by their
    /// serialized size, map entries at a fixed overhead): what the memory budget is checked
    /// against, and what /health reports.
    pub fn heap_bytes(&self) -> usize {
        self.days_heap_bytes().values().sum::<usize>() + self.shared_heap_bytes()
    }

    /// The heap taken by each UTC day's records, ids and sets, all agent versions together.
    pub fn days_heap_bytes(&self) -> BTreeMap<i64, usize> {
        let mut by_day = BTreeMap::new();
        for (d, day) in self.series.values().flat_map(|s| s.days.iter()) {
            *by_day.entry(*d).or_default() += day.heap_bytes();
        }
        by_day
    }

    /// The heap not attributed to one day: interners, hourly counts, recent ids.
    pub fn shared_heap_bytes(&self) -> usize {
        const ENTRY: usize = 48;
        let series: usize = self
            .series
            .iter()
            .map(|((name, version), s)| name.len() + version.len() + ENTRY + s.heap_bytes())
            .sum();
        let recent: usize = self.recent.keys().map(|id| id.capacity() + ENTRY).sum();
        series + recent + self.hour_rows.len() * ENTRY
    }

    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    pub(super) fn series(&self, name: &str, version: &str) -> Option<&Series> {
        self.series.get(&(name.to_string(), version.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_values_keep_their_ids_and_read_back() {
        let mut names = Interner::default();
        let ids: Vec<u32> = ["a", "bb", "", "a", "ccc", "bb"]
            .iter()
            .map(|v| names.id(Some(v)))
            .collect();
        assert_eq!(ids, [0, 1, 2, 0, 3, 1]);
        assert_eq!(names.id(None), NONE);
        assert_eq!(names.len(), 4);
        assert_eq!(
            (0..4)
                .map(|id| names.value(id).unwrap())
                .collect::<Vec<_>>(),
            ["a", "bb", "", "ccc"]
        );
        assert_eq!(names.value(4), None);
        assert_eq!(names.get("ccc"), Some(3));
        assert_eq!(names.get("cc"), None);
    }

    #[test]
    fn a_compacted_interner_keeps_only_the_live_values_under_new_ids() {
        let mut names = Interner::default();
        for i in 0..100 {
            names.id(Some(&format!("v{i}")));
        }
        let live: RoaringBitmap = [3, 50, 99].into_iter().collect();
        let (kept, new_ids) = names.compacted(&live);
        assert_eq!(kept.len(), 3);
        assert_eq!(
            [new_ids[3], new_ids[50], new_ids[99], new_ids[4]],
            [0, 1, 2, NONE]
        );
        assert_eq!(kept.get("v50"), Some(1));
        assert_eq!(kept.value(2), Some("v99"));
        assert!(kept.heap_bytes() < names.heap_bytes());
    }
}
