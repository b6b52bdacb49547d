//! The in-memory copy of what the summary endpoints need from "LiteLLM_SpendLogs": per agent and
//! version, one small record per request, grouped by UTC day with each day's totals and distinct
//! session/user ids kept up to date. A window is answered from whole-day totals for the days it
//! covers entirely and from the records of its two edge days — O(days), exact to the microsecond.
//!
//! Nothing here touches the database; the refresher (refresher.rs) feeds it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::queries::rollup::{AgentFields, LoadedRow};
use crate::queries::{AgentSummaryRow, DailySessionsRow, DailyTokensRow, TotalTokensRow};

pub const MICROS_PER_HOUR: i64 = 3_600_000_000;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
/// Id of a missing session or user (NULL in the database).
const NONE: u32 = u32::MAX;

pub fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

pub fn from_micros(us: i64) -> NaiveDateTime {
    DateTime::from_timestamp_micros(us)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

pub fn day_of(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_DAY)
}

pub fn hour_of(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_HOUR)
}

fn date_of_day(day: i64) -> NaiveDate {
    from_micros(day * MICROS_PER_DAY).date()
}

/// One request of one agent+version: 40 bytes, plus its request_id in the day's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rec {
    ts: i64,
    prompt: i64,
    completion: i64,
    session: u32,
    user: u32,
    /// Where the request_id sits in `Day::ids`.
    id_at: u32,
    id_len: u16,
    has_reply: bool,
}

/// One UTC day of one agent+version: its records (sorted by time) and running totals.
#[derive(Debug, Default, Clone)]
struct Day {
    rows: Vec<Rec>,
    /// The request_ids of `rows`, back to back (a day's ids in one allocation).
    ids: String,
    prompt: i64,
    completion: i64,
    /// Sorted, distinct session / user ids seen this day.
    sessions: Vec<u32>,
    users: Vec<u32>,
}

impl Day {
    fn request_id(&self, rec: &Rec) -> &str {
        let from = rec.id_at as usize;
        self.ids
            .get(from..from + usize::from(rec.id_len))
            .unwrap_or_default()
    }

    fn insert(&mut self, mut rec: Rec, request_id: &str) {
        rec.id_at = self.ids.len() as u32;
        rec.id_len = u16::try_from(request_id.len()).unwrap_or(u16::MAX);
        self.ids.push_str(&request_id[..usize::from(rec.id_len)]);
        let at = self.rows.partition_point(|r| r.ts <= rec.ts);
        self.rows.insert(at, rec);
        self.prompt += rec.prompt;
        self.completion += rec.completion;
        insert_sorted(&mut self.sessions, rec.session);
        insert_sorted(&mut self.users, rec.user);
    }

    /// The day with only the records `keep` accepts, totals recomputed and ids compacted.
    fn retain(self, keep: impl Fn(&Rec) -> bool) -> Day {
        let mut day = Day::default();
        for rec in self.rows.iter().filter(|r| keep(r)) {
            let mut kept = *rec;
            kept.id_at = day.ids.len() as u32;
            day.ids.push_str(self.request_id(rec));
            day.rows.push(kept);
        }
        for r in &day.rows {
            day.prompt += r.prompt;
            day.completion += r.completion;
        }
        day.sessions = distinct(day.rows.iter().map(|r| r.session));
        day.users = distinct(day.rows.iter().map(|r| r.user));
        day
    }

    /// The records with `start <= ts <= end`.
    fn slice(&self, start: i64, end: i64) -> &[Rec] {
        let from = self.rows.partition_point(|r| r.ts < start);
        let to = self.rows.partition_point(|r| r.ts <= end);
        &self.rows[from..to.max(from)]
    }
}

fn insert_sorted(ids: &mut Vec<u32>, id: u32) {
    if id == NONE {
        return;
    }
    if let Err(at) = ids.binary_search(&id) {
        ids.insert(at, id);
    }
}

fn distinct(ids: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut v: Vec<u32> = ids.filter(|id| *id != NONE).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Maps distinct strings to small ids, so distinct counts are bit operations.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Arc<str>, u32>,
    values: Vec<Arc<str>>,
}

impl Interner {
    fn id(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return NONE };
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = self.values.len() as u32;
        let shared: Arc<str> = Arc::from(value);
        self.ids.insert(shared.clone(), id);
        self.values.push(shared);
        id
    }

    fn value(&self, id: u32) -> Option<Arc<str>> {
        self.values.get(id as usize).cloned()
    }

    fn len(&self) -> usize {
        self.values.len()
    }
}

/// A fixed-size bit set for distinct counts over a window.
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    fn set(&mut self, id: u32) {
        if id != NONE {
            self.0[id as usize / 64] |= 1 << (id % 64);
        }
    }

    fn count(&self) -> i64 {
        self.0.iter().map(|w| i64::from(w.count_ones())).sum()
    }
}

/// Everything kept for one agent+version.
#[derive(Debug, Default)]
struct Series {
    days: BTreeMap<i64, Day>,
    sessions: Interner,
    users: Interner,
}

impl Series {
    fn add(&mut self, start_us: i64, request_id: &str, fields: &AgentFields) {
        let rec = Rec {
            ts: start_us,
            prompt: fields.prompt_tokens,
            completion: fields.completion_tokens,
            session: self.sessions.id(fields.session.as_deref()),
            user: self.users.id(fields.user.as_deref()),
            id_at: 0,
            id_len: 0,
            has_reply: fields.has_reply,
        };
        self.days
            .entry(day_of(start_us))
            .or_default()
            .insert(rec, request_id);
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
            let kept = day.retain(|r| r.ts < from || r.ts >= to);
            if !kept.rows.is_empty() {
                self.days.insert(d, kept);
            }
        }
    }

    /// Each day of `[start, end]` that has rows in it: whole days as they are, edge days sliced.
    fn days_within(&self, start: i64, end: i64) -> impl Iterator<Item = (i64, Part<'_>)> {
        // An empty window (start after end) selects nothing; BTreeMap::range would panic.
        let (first, last) = (day_of(start), day_of(end.max(start)));
        let end = if end < start { i64::MIN } else { end };
        self.days.range(first..=last).filter_map(move |(d, day)| {
            let part = if *d > first && *d < last {
                Part::Whole(day)
            } else {
                Part::Slice(day.slice(start, end))
            };
            (!part.is_empty()).then_some((*d, part))
        })
    }
}

/// A day's contribution to a window.
enum Part<'a> {
    Whole(&'a Day),
    Slice(&'a [Rec]),
}

impl Part<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Part::Whole(day) => day.rows.is_empty(),
            Part::Slice(rows) => rows.is_empty(),
        }
    }

    fn messages(&self) -> i64 {
        match self {
            Part::Whole(day) => day.rows.len() as i64,
            Part::Slice(rows) => rows.len() as i64,
        }
    }

    fn tokens(&self) -> (i64, i64) {
        match self {
            Part::Whole(day) => (day.prompt, day.completion),
            Part::Slice(rows) => rows
                .iter()
                .fold((0, 0), |(p, c), r| (p + r.prompt, c + r.completion)),
        }
    }

    fn mark(&self, sessions: &mut Bits, users: &mut Bits) {
        match self {
            Part::Whole(day) => {
                day.sessions.iter().for_each(|id| sessions.set(*id));
                day.users.iter().for_each(|id| users.set(*id));
            }
            Part::Slice(rows) => rows.iter().for_each(|r| {
                sessions.set(r.session);
                users.set(r.user);
            }),
        }
    }

    fn distinct_sessions(&self) -> i64 {
        match self {
            Part::Whole(day) => day.sessions.len() as i64,
            Part::Slice(rows) => distinct(rows.iter().map(|r| r.session)).len() as i64,
        }
    }
}

/// The rows a list page is chosen from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCandidates {
    pub request_ids: Vec<String>,
    /// The agent_session_id of each candidate (same order; None when the row has none).
    pub sessions: Vec<Option<Arc<str>>>,
    /// Every qualifying row down to the window start is among them (so a short page from the
    /// database is the last page, not a sign of rows deleted since the last refresh).
    pub exhausted: bool,
}

impl PageCandidates {
    /// Each candidate's agent_session_id by request_id.
    pub fn sessions_by_id(&self) -> HashMap<&str, Option<&str>> {
        self.request_ids
            .iter()
            .zip(&self.sessions)
            .map(|(id, session)| (id.as_str(), session.as_deref()))
            .collect()
    }
}

/// The whole in-memory copy. `covered_from` says from when on it is complete.
#[derive(Debug, Default)]
pub struct Store {
    series: HashMap<(String, String), Series>,
    /// Rows of every kind loaded per hour (by startTime), compared with the database's count to
    /// find hours that changed behind our back (deletions, very late inserts).
    hour_rows: BTreeMap<i64, u64>,
    /// All rows with startTime at or after this instant are loaded.
    covered_from: Option<i64>,
    /// Rows at or after the ingest-lag floor, by request_id: how new rows are told from seen ones.
    recent: HashMap<String, i64>,
}

impl Store {
    pub fn covered_from(&self) -> Option<i64> {
        self.covered_from
    }

    pub fn set_covered_from(&mut self, from: i64) {
        self.covered_from = Some(from);
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
        added
    }

    /// Replaces everything in `[from, to)` (whole hours) with `rows`: a reload after the hour's
    /// row count disagreed with the database.
    pub fn replace_between(&mut self, from: i64, to: i64, rows: &[LoadedRow], recent_floor: i64) {
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

    pub fn rows_held(&self) -> usize {
        self.series
            .values()
            .flat_map(|s| s.days.values())
            .map(|d| d.rows.len())
            .sum()
    }

    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Whether `[start, end]` lies in what is loaded.
    pub fn covers(&self, start: i64) -> bool {
        self.covered_from.is_some_and(|c| c <= start)
    }

    fn series(&self, name: &str, version: &str) -> Option<&Series> {
        self.series.get(&(name.to_string(), version.to_string()))
    }

    pub fn agent_summary(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
    ) -> AgentSummaryRow {
        let mut totals = AgentSummaryRow {
            total_messages: 0,
            total_sessions: 0,
            total_users: 0,
        };
        let Some(series) = self.series(name, version) else {
            return totals;
        };
        let mut sessions = Bits::new(series.sessions.len());
        let mut users = Bits::new(series.users.len());
        for (_, part) in series.days_within(start, end) {
            totals.total_messages += part.messages();
            part.mark(&mut sessions, &mut users);
        }
        totals.total_sessions = sessions.count();
        totals.total_users = users.count();
        totals
    }

    pub fn daily_sessions(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
    ) -> Vec<DailySessionsRow> {
        self.series(name, version)
            .map(|series| {
                series
                    .days_within(start, end)
                    .map(|(d, part)| DailySessionsRow {
                        day: date_of_day(d),
                        messages: part.messages(),
                        sessions: part.distinct_sessions(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn daily_tokens(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
    ) -> Vec<DailyTokensRow> {
        self.series(name, version)
            .map(|series| {
                series
                    .days_within(start, end)
                    .map(|(d, part)| {
                        let (prompt, completion) = part.tokens();
                        DailyTokensRow {
                            day: date_of_day(d),
                            messages: part.messages(),
                            prompt_tokens: prompt,
                            completion_tokens: completion,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn total_tokens(&self, name: &str, version: &str, start: i64, end: i64) -> TotalTokensRow {
        let mut totals = TotalTokensRow {
            messages: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
        };
        if let Some(series) = self.series(name, version) {
            for (_, part) in series.days_within(start, end) {
                let (prompt, completion) = part.tokens();
                totals.messages += part.messages();
                totals.prompt_tokens += prompt;
                totals.completion_tokens += completion;
            }
        }
        totals
    }

    /// The request_ids that can be on a list page continuing below `before` (exclusive, but
    /// rows at exactly `before` are included: whether they precede the cursor depends on their
    /// request_id, which the database orders by its collation). Newest first: every row down to
    /// the `fetch`-th one below `before`, and any rows sharing that one's startTime. The database
    /// then picks and orders the page among these by primary key, reading only them.
    pub fn page_candidates(
        &self,
        name: &str,
        version: &str,
        start: i64,
        before: i64,
        fetch: usize,
        replies_only: bool,
    ) -> PageCandidates {
        let mut candidates = PageCandidates {
            request_ids: Vec::new(),
            sessions: Vec::new(),
            exhausted: true,
        };
        let Some(series) = self.series(name, version) else {
            return candidates;
        };
        if before < start || fetch == 0 {
            return candidates;
        }
        let mut below = 0;
        let mut last: Option<i64> = None;
        'days: for (_, day) in series.days.range(day_of(start)..=day_of(before)).rev() {
            for rec in day.slice(start, before).iter().rev() {
                if replies_only && !rec.has_reply {
                    continue;
                }
                if last.is_some_and(|t| rec.ts < t) {
                    candidates.exhausted = false;
                    break 'days;
                }
                candidates.request_ids.push(day.request_id(rec).to_string());
                candidates.sessions.push(series.sessions.value(rec.session));
                if rec.ts < before {
                    below += 1;
                    if below == fetch {
                        last = Some(rec.ts);
                    }
                }
            }
        }
        candidates
    }

    /// Whether the agent+version has a row with a reply in `[start, end]`.
    pub fn has_replies(&self, name: &str, version: &str, start: i64, end: i64) -> bool {
        self.series(name, version).is_some_and(|s| {
            s.days_within(start, end).any(|(_, part)| match part {
                Part::Whole(day) => day.rows.iter().any(|r| r.has_reply),
                Part::Slice(rows) => rows.iter().any(|r| r.has_reply),
            })
        })
    }

    /// Whether the agent+version has any row in `[start, end]`.
    pub fn has_rows(&self, name: &str, version: &str, start: i64, end: i64) -> bool {
        self.series(name, version)
            .is_some_and(|s| s.days_within(start, end).next().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        micros(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap())
    }

    fn row(
        id: &str,
        at: &str,
        session: Option<&str>,
        user: Option<&str>,
        prompt: i64,
    ) -> LoadedRow {
        LoadedRow {
            request_id: id.to_string(),
            start_time: from_micros(ts(at)),
            agent: Some(AgentFields {
                name: "bot".into(),
                version: "1".into(),
                session: session.map(str::to_string),
                user: user.map(str::to_string),
                prompt_tokens: prompt,
                completion_tokens: 1,
                has_reply: true,
            }),
        }
    }

    fn store(rows: &[LoadedRow]) -> Store {
        let mut s = Store::default();
        s.add(rows, i64::MAX);
        s.set_covered_from(i64::MIN);
        s
    }

    #[test]
    fn window_counts_whole_days_and_slices_edge_days_exactly() {
        let s = store(&[
            row("a", "2024-12-03 10:00:00", Some("s1"), Some("u1"), 1), // before the window
            row("b", "2024-12-03 14:30:00", Some("s2"), Some("u1"), 2), // exactly at its start
            row("c", "2024-12-04 08:00:00", Some("s2"), Some("u2"), 4), // a whole day
            row("d", "2024-12-04 09:00:00", None, None, 8),
            row("e", "2024-12-05 14:30:00", Some("s3"), Some("u3"), 16), // exactly at its end
            row("f", "2024-12-05 14:30:00.001", Some("s4"), Some("u4"), 32), // after it
        ]);
        let (start, end) = (ts("2024-12-03 14:30:00"), ts("2024-12-05 14:30:00"));
        let summary = s.agent_summary("bot", "1", start, end);
        assert_eq!(summary.total_messages, 4);
        assert_eq!(summary.total_sessions, 2); // s2, s3
        assert_eq!(summary.total_users, 3); // u1, u2, u3
        assert_eq!(
            s.total_tokens("bot", "1", start, end).prompt_tokens,
            2 + 4 + 8 + 16
        );
        let daily = s.daily_sessions("bot", "1", start, end);
        assert_eq!(
            daily
                .iter()
                .map(|d| (d.messages, d.sessions))
                .collect::<Vec<_>>(),
            [(1, 1), (2, 1), (1, 1)]
        );
    }

    #[test]
    fn reloading_an_hour_replaces_its_rows() {
        let mut s = store(&[
            row("a", "2024-12-04 10:05:00", Some("s1"), Some("u1"), 1),
            row("b", "2024-12-04 10:55:00", Some("s2"), Some("u2"), 2),
            row("c", "2024-12-04 11:05:00", Some("s3"), Some("u3"), 4),
        ]);
        // Row b was deleted in the database.
        let hour = ts("2024-12-04 10:00:00");
        s.replace_between(
            hour,
            hour + MICROS_PER_HOUR,
            &[row("a", "2024-12-04 10:05:00", Some("s1"), Some("u1"), 1)],
            i64::MAX,
        );
        let (start, end) = (ts("2024-12-04 00:00:00"), ts("2024-12-04 23:59:59"));
        assert_eq!(s.total_tokens("bot", "1", start, end).prompt_tokens, 1 + 4);
        assert_eq!(s.agent_summary("bot", "1", start, end).total_sessions, 2);
        assert_eq!(s.hour_counts(start, end).values().sum::<u64>(), 2);
    }

    #[test]
    fn recent_rows_are_not_added_twice() {
        let mut s = Store::default();
        let floor = ts("2024-12-05 14:00:00");
        let rows = [row("a", "2024-12-05 14:10:00", Some("s1"), None, 1)];
        assert_eq!(s.add(&rows, floor), 1);
        assert_eq!(s.add(&rows, floor), 0);
        assert_eq!(s.recent_count(floor), 1);
    }

    #[test]
    fn page_candidates_reach_the_fetch_th_row_below_the_cursor_and_its_ties() {
        let s = store(&[
            row("a", "2024-12-05 09:00:00", None, None, 0),
            row("b", "2024-12-05 10:00:00", None, None, 0),
            row("b2", "2024-12-05 10:00:00", None, None, 0),
            row("c", "2024-12-05 11:00:00", None, None, 0),
            row("d", "2024-12-05 12:00:00", None, None, 0),
            row("e", "2024-12-05 12:00:00", None, None, 0),
        ]);
        let start = ts("2024-12-05 00:00:00");
        // Cursor at 12:00: d and e may or may not precede it; then c and the 10:00 tie group.
        let c = s.page_candidates("bot", "1", start, ts("2024-12-05 12:00:00"), 2, false);
        let mut ids = c.request_ids.clone();
        ids.sort();
        assert_eq!(ids, ["b", "b2", "c", "d", "e"]);
        assert!(!c.exhausted);
        let all = s.page_candidates("bot", "1", start, ts("2024-12-05 13:00:00"), 10, false);
        assert_eq!(all.request_ids.len(), 6);
        assert!(all.exhausted);
        let none = s.page_candidates("nobody", "1", start, ts("2024-12-05 13:00:00"), 10, false);
        assert!(none.request_ids.is_empty() && none.exhausted);
    }

    #[test]
    fn inverted_spans_select_nothing_instead_of_panicking() {
        let s = store(&[row("a", "2024-12-05 10:00:00", Some("s1"), None, 1)]);
        let (early, late) = (ts("2024-12-01 00:00:00"), ts("2024-12-06 00:00:00"));
        assert_eq!(s.agent_summary("bot", "1", late, early).total_messages, 0);
        assert!(s.daily_tokens("bot", "1", late, early).is_empty());
        assert!(s
            .page_candidates("bot", "1", late, early, 2, false)
            .request_ids
            .is_empty());
        assert!(s.hour_counts(late, early).is_empty());
    }

    #[test]
    fn eviction_drops_old_hours_and_raises_coverage() {
        let mut s = store(&[
            row("a", "2024-12-01 10:00:00", Some("s1"), None, 1),
            row("b", "2024-12-04 10:00:00", Some("s2"), None, 2),
        ]);
        s.evict_before(ts("2024-12-02 00:00:00"));
        assert_eq!(s.rows_held(), 1);
        assert!(!s.covers(ts("2024-12-01 12:00:00")));
        assert!(s.covers(ts("2024-12-02 00:00:00")));
    }
}
