//! Answers from the in-memory copy: stats per bucket, list page candidates, existence checks.
//! Each mirrors the SQL the service would otherwise run, so both give the same numbers.

use std::collections::HashMap;

use roaring::{MultiOps, RoaringBitmap};

use super::compacted::{Compacted, Distribution};
use super::store::{
    day_of, micros, record, Day, Rec, Series, Store, Totals, HAS_REPLY, MICROS_PER_DAY,
    MICROS_PER_HOUR, NONE, NO_DURATION,
};
use crate::queries::rollup::LoadedRow;
use crate::stats::{Latency, SeriesStats, Stats};

/// The distinct ids of a span: whole days' sets by reference, plus the ids of records read one
/// by one (edge days). The sets are only unioned when counted, with roaring's multi-way union,
/// so a count costs in compressed containers, not in ids or rows.
#[derive(Default)]
struct DistinctIds<'a> {
    days: Vec<&'a RoaringBitmap>,
    loose: RoaringBitmap,
}

impl<'a> DistinctIds<'a> {
    fn add(&mut self, id: u32) {
        if id != NONE {
            self.loose.insert(id);
        }
    }

    fn add_day(&mut self, ids: &'a RoaringBitmap) {
        self.days.push(ids);
    }

    fn extend(&mut self, other: &DistinctIds<'a>) {
        self.days.extend(&other.days);
        self.loose |= &other.loose;
    }

    fn count(&self) -> i64 {
        let n = match (self.days.as_slice(), self.loose.is_empty()) {
            ([], _) => self.loose.len(),
            ([one], true) => one.len(),
            (days, _) => {
                let mut all = days.iter().copied().union();
                all |= &self.loose;
                all.len()
            }
        };
        i64::try_from(n).unwrap_or(i64::MAX)
    }
}

/// Latencies of a bucket: compacted days' sorted values by reference (whole days), and values
/// read one by one (records, or some hours of a compacted day).
#[derive(Default)]
struct Latencies<'a> {
    runs: Vec<&'a [i64]>,
    runs_sum: i128,
    loose: Vec<i64>,
}

impl<'a> Latencies<'a> {
    fn add(&mut self, us: i64) {
        if us != NO_DURATION {
            self.loose.push(us);
        }
    }

    fn add_run(&mut self, values: &'a Distribution) {
        self.runs.push(&values.values);
        self.runs_sum += values.sum;
    }

    fn extend(&mut self, other: &Latencies<'a>) {
        self.runs.extend(&other.runs);
        self.runs_sum += other.runs_sum;
        self.loose.extend(&other.loose);
    }

    fn into_latency(mut self) -> Latency {
        Latency::from_runs(&self.runs, self.runs_sum, &mut self.loose)
    }
}

/// Where the requests of an hour a window edge cuts come from.
#[derive(Clone, Copy)]
enum Part<'a> {
    /// The day's records.
    Records(&'a Day),
    /// A compacted day's: rows read from the database.
    Edges(&'a EdgeRecords),
}

/// What one bucket collects before it becomes [`Stats`].
#[derive(Default)]
struct Collected<'a> {
    totals: Totals,
    sessions: DistinctIds<'a>,
    users: DistinctIds<'a>,
    durations: Latencies<'a>,
    ttfts: Latencies<'a>,
}

impl<'a> Collected<'a> {
    /// Adds a record: its totals and latencies, and its ids unless its whole day's are counted.
    fn add(&mut self, r: &Rec, latency: bool, ids: bool) {
        self.totals.add(r);
        if ids {
            self.sessions.add(r.session);
            self.users.add(r.user);
        }
        if latency {
            self.durations.add(r.duration_us);
            self.ttfts.add(r.ttft_us);
        }
    }

    /// Adds a whole day (starting at `day_start`): its running totals, distinct-id sets and,
    /// when asked for, its sorted latencies, all by reference.
    fn add_day(&mut self, day: &'a Day, day_start: i64, latency: bool) {
        self.sessions.add_day(&day.sessions);
        self.users.add_day(&day.users);
        self.totals.merge(&day.totals);
        if latency {
            let hourly = day.hourly(day_start);
            self.durations.add_run(&hourly.durations);
            self.ttfts.add_run(&hourly.ttfts);
        }
    }

    /// Adds `[from, to]` of a day starting at `day_start`, given its hours (`compacted`): whole
    /// hours from their totals, an hour it covers only in part from `part` — the day's records,
    /// or for a compacted day `edges` (that hour's records, read from the database); such an
    /// hour missing from `edges` (and not empty) is added to `missing`.
    fn add_hours(
        &mut self,
        compacted: &'a Compacted,
        day_start: i64,
        (from, to): (i64, i64),
        latency: bool,
        part: Part<'a>,
        missing: &mut Vec<i64>,
    ) {
        let (lo, hi) = (from - day_start, to + 1 - day_start);
        let (first, last) = (lo / MICROS_PER_HOUR, (hi - 1) / MICROS_PER_HOUR);
        let whole_first = first + i64::from(lo % MICROS_PER_HOUR != 0);
        let whole_last = last - i64::from(hi % MICROS_PER_HOUR != 0);
        if whole_first <= whole_last {
            let whole = (whole_first as u8)..=(whole_last as u8);
            for hour in compacted.hours.iter().filter(|h| whole.contains(&h.hour)) {
                self.totals.merge(&hour.totals);
                self.sessions.add_day(&hour.sessions);
                self.users.add_day(&hour.users);
            }
            if latency {
                let (a, b) = (*whole.start(), *whole.end());
                self.durations
                    .loose
                    .extend(compacted.durations.of_hours(a, b));
                self.ttfts.loose.extend(compacted.ttfts.of_hours(a, b));
            }
        }
        let mut partial = vec![first];
        if last != first {
            partial.push(last);
        }
        for hour in partial
            .into_iter()
            .filter(|h| *h < whole_first || *h > whole_last)
            .filter(|h| compacted.hours.iter().any(|x| i64::from(x.hour) == *h))
        {
            let absolute = day_start / MICROS_PER_HOUR + hour;
            let records = match part {
                Part::Records(day) => {
                    let hour_start = absolute * MICROS_PER_HOUR;
                    day.slice(
                        from.max(hour_start),
                        to.min(hour_start + MICROS_PER_HOUR - 1),
                    )
                }
                Part::Edges(edges) => match edges.by_hour.get(&absolute) {
                    Some(records) => records.as_slice(),
                    None => {
                        missing.push(absolute);
                        continue;
                    }
                },
            };
            records
                .iter()
                .filter(|r| r.ts >= from && r.ts <= to)
                .for_each(|r| self.add(r, latency, true));
        }
    }

    /// Folds this bucket into the window-wide collection.
    fn extend(&mut self, other: &Collected<'a>) {
        self.totals.merge(&other.totals);
        self.sessions.extend(&other.sessions);
        self.users.extend(&other.users);
        self.durations.extend(&other.durations);
        self.ttfts.extend(&other.ttfts);
    }

    fn into_stats(self) -> Stats {
        let t = self.totals;
        Stats {
            requests: t.requests,
            sessions: self.sessions.count(),
            users: self.users.count(),
            prompt_tokens: t.prompt,
            completion_tokens: t.completion,
            total_tokens: t.total,
            cached_prompt_tokens: t.cached,
            spend: t.spend,
            failed: t.failed,
            cache_hits: t.cache_hits,
            duration: self.durations.into_latency(),
            ttft: self.ttfts.into_latency(),
        }
    }
}

impl Store {
    /// Stats for each bucket `[boundaries[i], boundaries[i + 1])` ∩ `[start, end]` and for the
    /// whole `[start, end]`. Whole UTC days come from the days' running totals and distinct-id
    /// sets (their records are read only when latency distributions are asked for); edge days
    /// from the records, or from the hours of a compacted day. An edge inside an hour of a
    /// compacted day (a start or end off the hour past the row horizon, or buckets of a calendar
    /// whose days do not start on a UTC hour) is read from `edges`; when that lacks such hours,
    /// Err lists them (absolute hour numbers) for the caller to read from the database.
    #[allow(clippy::too_many_arguments)]
    pub fn stats(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        boundaries: &[i64],
        latency: bool,
        edges: &EdgeRecords,
    ) -> Result<SeriesStats, Vec<i64>> {
        let buckets = boundaries.len().saturating_sub(1);
        let Some(series) = self.series(name, version) else {
            return Ok(SeriesStats {
                overall: Stats::default(),
                buckets: vec![Stats::default(); buckets],
            });
        };
        let mut overall = Collected::default();
        let mut per_bucket = Vec::with_capacity(buckets);
        let mut missing = Vec::new();
        for pair in boundaries.windows(2) {
            let (lo, hi) = (pair[0].max(start), (pair[1] - 1).min(end));
            let mut collected = Collected::default();
            if lo <= hi {
                for (d, day) in series.days.range(day_of(lo)..=day_of(hi)) {
                    let (day_start, day_end) = (d * MICROS_PER_DAY, (d + 1) * MICROS_PER_DAY - 1);
                    if day_start >= lo && day_end <= hi {
                        collected.add_day(day, day_start, latency);
                    } else {
                        // An edge day: whole hours from their totals, the rest from records.
                        let span = (lo.max(day_start), hi.min(day_end));
                        let part = match day.compacted {
                            Some(_) => Part::Edges(edges),
                            None => Part::Records(day),
                        };
                        let hourly = day.hourly(day_start);
                        collected.add_hours(hourly, day_start, span, latency, part, &mut missing);
                    }
                }
            }
            overall.extend(&collected);
            per_bucket.push(collected.into_stats());
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            return Err(missing);
        }
        Ok(SeriesStats {
            overall: overall.into_stats(),
            buckets: per_bucket,
        })
    }

    /// `rows` (an agent version's rows of some hours, from the database) as records for
    /// [`Store::stats`]'s `edges`: sessions and users by their ids here, or by new ids when this
    /// store does not know them (so they count as distinct from every other).
    pub fn edge_records<'r>(
        &self,
        name: &str,
        version: &str,
        rows: impl Iterator<Item = &'r LoadedRow>,
    ) -> EdgeRecords {
        let mut edges = EdgeRecords::default();
        let Some(series) = self.series(name, version) else {
            return edges;
        };
        let mut unknown_sessions = Unknown::new(series.sessions.len());
        let mut unknown_users = Unknown::new(series.users.len());
        for row in rows {
            let Some(fields) = &row.agent else { continue };
            if fields.name != name || fields.version != version {
                continue;
            }
            let session = fields.session.as_deref().map_or(NONE, |s| {
                series
                    .sessions
                    .get(s)
                    .unwrap_or_else(|| unknown_sessions.id(s))
            });
            let user = fields.user.as_deref().map_or(NONE, |u| {
                series.users.get(u).unwrap_or_else(|| unknown_users.id(u))
            });
            let ts = micros(row.start_time);
            edges
                .by_hour
                .entry(ts.div_euclid(MICROS_PER_HOUR))
                .or_default()
                .push(record(ts, fields, (session, user, 0)));
        }
        edges
    }

    /// Whether the agent+version has any row in `[start, end]`.
    pub fn has_rows(&self, name: &str, version: &str, start: i64, end: i64) -> bool {
        self.series(name, version)
            .is_some_and(|s| records(s, start, end).next().is_some())
    }

    /// Whether the agent+version has a row with a reply in `[start, end]`.
    pub fn has_replies(&self, name: &str, version: &str, start: i64, end: i64) -> bool {
        self.series(name, version)
            .is_some_and(|s| records(s, start, end).any(|(_, r)| r.is(HAS_REPLY)))
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
                if replies_only && !rec.is(HAS_REPLY) {
                    continue;
                }
                if last.is_some_and(|t| rec.ts < t) {
                    candidates.exhausted = false;
                    break 'days;
                }
                candidates.request_ids.push(day.request_id(rec).to_string());
                candidates
                    .sessions
                    .push(series.sessions.value(rec.session).map(str::to_string));
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
}

/// Records of single hours of compacted days, read from the database: the parts of a window
/// whose edge falls inside such an hour (see [`Store::stats`]).
#[derive(Debug, Default)]
pub struct EdgeRecords {
    by_hour: HashMap<i64, Vec<Rec>>,
}

/// Ids for values an interner does not know, numbered from its length on.
struct Unknown {
    next: u32,
    ids: HashMap<String, u32>,
}

impl Unknown {
    fn new(known: usize) -> Unknown {
        Unknown {
            next: u32::try_from(known).unwrap_or(u32::MAX - 1),
            ids: HashMap::new(),
        }
    }

    fn id(&mut self, value: &str) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = self.next;
        self.next = self.next.saturating_add(1).min(NONE - 1);
        self.ids.insert(value.to_string(), id);
        id
    }
}

/// Every record of a series in `[start, end]`, oldest first, with its day.
pub(super) fn records(
    series: &Series,
    start: i64,
    end: i64,
) -> impl Iterator<Item = (&super::store::Day, &Rec)> {
    let days = if start <= end {
        series.days.range(day_of(start)..=day_of(end))
    } else {
        series.days.range(0..0)
    };
    days.flat_map(move |(_, day)| day.slice(start, end).iter().map(move |r| (day, r)))
}

/// The rows a list page is chosen from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCandidates {
    pub request_ids: Vec<String>,
    /// The session of each candidate (same order; None when the row has none).
    pub sessions: Vec<Option<String>>,
    /// Every qualifying row down to the window start is among them (so a short page from the
    /// database is the last page, not a sign of rows deleted since the last refresh).
    pub exhausted: bool,
}

impl PageCandidates {
    /// Each candidate's session by request_id.
    pub fn sessions_by_id(&self) -> HashMap<&str, Option<&str>> {
        self.request_ids
            .iter()
            .zip(&self.sessions)
            .map(|(id, session)| (id.as_str(), session.as_deref()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::{from_micros, micros};
    use super::MICROS_PER_HOUR;
    use super::*;
    use crate::queries::rollup::{AgentFields, LoadedRow};
    use crate::rollup::CatalogEdges;
    use chrono::NaiveDateTime;

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
                model: "gpt-4o".into(),
                prompt_tokens: prompt,
                completion_tokens: 1,
                total_tokens: prompt + 1,
                cached_tokens: 0,
                spend: 0.5,
                failed: prompt == 8,
                cache_hit: false,
                duration_us: Some(prompt * 1000),
                ttft_us: None,
                has_tools: false,
                has_reply: true,
            }),
        }
    }

    /// Agent bot version 1's stats (see [`Store::stats`]).
    fn bot_stats(
        s: &Store,
        start: i64,
        end: i64,
        boundaries: &[i64],
        latency: bool,
        edges: &EdgeRecords,
    ) -> Result<SeriesStats, Vec<i64>> {
        s.stats("bot", "1", start, end, boundaries, latency, edges)
    }

    fn nobody_stats(
        s: &Store,
        start: i64,
        end: i64,
        boundaries: &[i64],
        latency: bool,
        edges: &EdgeRecords,
    ) -> Result<SeriesStats, Vec<i64>> {
        s.stats("nobody", "1", start, end, boundaries, latency, edges)
    }

    fn store(rows: &[LoadedRow]) -> Store {
        let mut s = Store::default();
        s.add(rows, i64::MAX);
        s.set_covered_from(i64::MIN);
        s
    }

    fn days(from: &str, n: i64) -> Vec<i64> {
        (0..=n).map(|i| ts(from) + i * MICROS_PER_DAY).collect()
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
        for latency in [false, true] {
            let stats = bot_stats(
                &s,
                start,
                end,
                &days("2024-12-03 00:00:00", 3),
                latency,
                &EdgeRecords::default(),
            )
            .unwrap();
            assert_eq!(stats.overall.requests, 4);
            assert_eq!(stats.overall.sessions, 2); // s2, s3
            assert_eq!(stats.overall.users, 3); // u1, u2, u3
            assert_eq!(stats.overall.prompt_tokens, 2 + 4 + 8 + 16);
            assert_eq!(stats.overall.failed, 1);
            assert_eq!(stats.overall.spend, 2.0);
            let per_day: Vec<(i64, i64)> = stats
                .buckets
                .iter()
                .map(|b| (b.requests, b.sessions))
                .collect();
            assert_eq!(per_day, [(1, 1), (2, 1), (1, 1)]);
        }
        let with_latency = bot_stats(
            &s,
            start,
            end,
            &days("2024-12-03 00:00:00", 3),
            true,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(with_latency.overall.duration.count, 4);
        assert_eq!(with_latency.overall.duration.p50_ms, Some(4.0));
        assert_eq!(with_latency.overall.duration.max_ms, Some(16.0));
    }

    #[test]
    fn ids_seen_on_several_whole_days_count_once_per_bucket_and_window() {
        let s = store(&[
            row("a", "2024-12-02 08:00:00", Some("s1"), Some("u1"), 1),
            row("b", "2024-12-02 09:00:00", Some("s2"), Some("u1"), 1),
            row("c", "2024-12-03 08:00:00", Some("s2"), Some("u2"), 1),
            row("d", "2024-12-03 09:00:00", Some("s3"), None, 1),
            row("e", "2024-12-04 08:00:00", Some("s1"), Some("u1"), 1),
            row("f", "2024-12-04 09:00:00", None, Some("u3"), 1),
        ]);
        let (start, end) = (ts("2024-12-02 00:00:00"), ts("2024-12-04 23:59:59.999999"));
        for latency in [false, true] {
            let daily = bot_stats(
                &s,
                start,
                end,
                &days("2024-12-02 00:00:00", 3),
                latency,
                &EdgeRecords::default(),
            )
            .unwrap();
            let per_day: Vec<(i64, i64)> = daily
                .buckets
                .iter()
                .map(|b| (b.sessions, b.users))
                .collect();
            // Day 1: s1 s2 / u1; day 2: s2 s3 / u2; day 3: s1 / u1 u3.
            assert_eq!(per_day, [(2, 1), (2, 1), (1, 2)], "latency={latency}");
            assert_eq!((daily.overall.sessions, daily.overall.users), (3, 3));
            let one_bucket = bot_stats(
                &s,
                start,
                end,
                &[start, end + 1],
                latency,
                &EdgeRecords::default(),
            )
            .unwrap();
            assert_eq!(one_bucket.buckets[0].sessions, 3);
            assert_eq!(one_bucket.buckets[0].users, 3);
            assert_eq!(one_bucket.overall.requests, 6);
        }
        // A window starting mid-day 1: its s2/u1 row is read from the records and must merge
        // with the same ids in the whole days' sets.
        let from_nine = bot_stats(
            &s,
            ts("2024-12-02 09:00:00"),
            end,
            &days("2024-12-02 00:00:00", 3),
            false,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(from_nine.buckets[0].sessions, 1);
        assert_eq!(
            (from_nine.overall.sessions, from_nine.overall.users),
            (3, 3)
        );
    }

    #[test]
    fn unknown_agents_get_zeroed_buckets() {
        let s = store(&[]);
        let stats = nobody_stats(&s, 0, 10, &[0, 5, 11], false, &EdgeRecords::default()).unwrap();
        assert_eq!(stats.buckets.len(), 2);
        assert_eq!(stats.overall, Stats::default());
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
    fn reloading_an_hour_replaces_its_rows() {
        let mut s = store(&[
            row("a", "2024-12-04 10:05:00", Some("s1"), Some("u1"), 1),
            row("b", "2024-12-04 10:55:00", Some("s2"), Some("u2"), 2),
            row("c", "2024-12-04 11:05:00", Some("s3"), Some("u3"), 4),
        ]);
        let hour = ts("2024-12-04 10:00:00");
        let only_a = [row("a", "2024-12-04 10:05:00", Some("s1"), Some("u1"), 1)];
        s.replace_between(hour, hour + 3_600_000_000, &only_a, i64::MAX);
        let (start, end) = (ts("2024-12-04 00:00:00"), ts("2024-12-04 23:59:59"));
        let stats = bot_stats(
            &s,
            start,
            end,
            &days("2024-12-04 00:00:00", 1),
            false,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(stats.overall.prompt_tokens, 1 + 4);
        assert_eq!(stats.overall.sessions, 2);
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
    fn inverted_spans_select_nothing_instead_of_panicking() {
        let s = store(&[row("a", "2024-12-05 10:00:00", Some("s1"), None, 1)]);
        let (early, late) = (ts("2024-12-01 00:00:00"), ts("2024-12-06 00:00:00"));
        assert_eq!(
            bot_stats(
                &s,
                late,
                early,
                &[early, late],
                false,
                &EdgeRecords::default()
            )
            .unwrap()
            .overall
            .requests,
            0
        );
        assert!(!s.has_rows("bot", "1", late, early));
        assert!(s
            .page_candidates("bot", "1", late, early, 2, false)
            .request_ids
            .is_empty());
        assert!(s.hour_counts(late, early).is_empty());
    }

    #[test]
    fn days_past_the_row_horizon_answer_whole_hours_exactly_and_refuse_partial_ones() {
        let rows = [
            row("a", "2024-12-01 10:00:00", Some("s1"), Some("u1"), 1),
            row("b", "2024-12-01 10:30:00", Some("s2"), Some("u1"), 2),
            row("c", "2024-12-01 11:15:00", Some("s1"), Some("u2"), 4),
            row("d", "2024-12-02 09:00:00", Some("s3"), None, 8),
            row("e", "2024-12-03 10:00:00", Some("s2"), Some("u3"), 16),
        ];
        let records = store(&rows);
        let mut s = store(&rows);
        assert!(s.covers_records(ts("2024-11-01 00:00:00")));
        s.compact_before(ts("2024-12-02 15:00:00"));
        // Records are kept from the start of the row horizon's day on.
        assert!(!s.covers_records(ts("2024-12-01 23:00:00")));
        assert!(s.covers_records(ts("2024-12-02 00:00:00")));
        // Nothing older than the row horizon: the records cover any window.
        let mut young = store(&rows[3..]);
        young.compact_before(ts("2024-12-02 15:00:00"));
        assert!(young.covers_records(ts("2024-11-01 00:00:00")));
        assert_eq!(s.rows_held(), 5);
        // Whole days, whole hours, with and without latency: as from the records.
        let windows = [
            ("2024-12-01 00:00:00", "2024-12-03 23:59:59.999999", 3),
            ("2024-12-01 10:00:00", "2024-12-03 23:59:59.999999", 3),
            ("2024-12-01 11:00:00", "2024-12-02 09:59:59.999999", 2),
            ("2024-12-01 10:00:00", "2024-12-01 10:59:59.999999", 1),
        ];
        for (from, to, buckets) in windows {
            for latency in [false, true] {
                let (start, end) = (ts(from), ts(to));
                let edges = days("2024-12-01 00:00:00", buckets);
                let compacted = bot_stats(&s, start, end, &edges, latency, &EdgeRecords::default());
                let expected = bot_stats(
                    &records,
                    start,
                    end,
                    &edges,
                    latency,
                    &EdgeRecords::default(),
                );
                assert_eq!(compacted, expected, "{from} {to} latency={latency}");
            }
        }
        let morning = bot_stats(
            &s,
            ts("2024-12-01 10:00:00"),
            ts("2024-12-01 10:59:59.999999"),
            &days("2024-12-01 00:00:00", 1),
            true,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(
            (
                morning.overall.requests,
                morning.overall.sessions,
                morning.overall.users
            ),
            (2, 2, 1)
        );
        assert_eq!(morning.overall.duration.max_ms, Some(2.0));
        // An edge inside an hour of a compacted day: that hour's rows must come from the
        // database; given them, the answer is the records' exactly.
        let off_hour = |s: &Store, edges: &EdgeRecords| {
            bot_stats(
                s,
                ts("2024-12-01 10:15:00"),
                ts("2024-12-03 23:00:00"),
                &days("2024-12-01 00:00:00", 3),
                true,
                edges,
            )
        };
        let hour_10 = ts("2024-12-01 10:00:00") / MICROS_PER_HOUR;
        assert_eq!(off_hour(&s, &EdgeRecords::default()), Err(vec![hour_10]));
        let edges = s.edge_records("bot", "1", rows[..2].iter());
        let expected = off_hour(&records, &EdgeRecords::default());
        assert_eq!(off_hour(&s, &edges), expected);
        assert_eq!(expected.unwrap().overall.requests, 4); // b, c, d, e
                                                           // Sessions the store does not know count as new ones.
        let mut strangers = rows[..2].to_vec();
        strangers[1].agent.as_mut().unwrap().session = Some("stranger".into());
        let edges = s.edge_records("bot", "1", strangers.iter());
        assert_eq!(off_hour(&s, &edges).unwrap().overall.sessions, 4); // stranger, s1, s3, s2
                                                                       // Buckets starting on the half hour: only hours with requests need rows.
        let half_hour_buckets = [ts("2024-12-01 00:30:00"), ts("2024-12-02 00:30:00")];
        let half = |s: &Store| {
            bot_stats(
                s,
                ts("2024-12-01 00:30:00"),
                ts("2024-12-02 00:00:00"),
                &half_hour_buckets,
                false,
                &EdgeRecords::default(),
            )
        };
        assert_eq!(half(&s), half(&records));
        // The catalog too: first and last seen from the hours.
        let none = CatalogEdges::default();
        let catalog = s
            .catalog(
                ts("2024-12-01 11:00:00"),
                ts("2024-12-03 23:59:59.999999"),
                &none,
            )
            .unwrap();
        assert_eq!(
            (catalog[0].requests, catalog[0].first_seen),
            (3, from_micros(ts("2024-12-01 11:15:00")))
        );
        let (from, to) = (ts("2024-12-01 10:20:00"), ts("2024-12-03 00:00:00"));
        assert_eq!(s.catalog(from, to, &none), Err(vec![hour_10]));
        let edges = CatalogEdges::new(&[hour_10], rows[..2].iter());
        let cut = s.catalog(from, to, &edges).unwrap();
        assert_eq!(cut, records.catalog(from, to, &none).unwrap());
        assert_eq!(
            (cut[0].requests, cut[0].first_seen),
            (3, from_micros(ts("2024-12-01 10:30:00")))
        );
        // A reloaded hour of a compacted day replaces that hour only.
        let hour = ts("2024-12-01 10:00:00");
        let again = [row("a", "2024-12-01 10:00:00", Some("s1"), Some("u1"), 1)];
        s.replace_between(hour, hour + MICROS_PER_HOUR, &again, i64::MAX);
        let day1 = bot_stats(
            &s,
            ts("2024-12-01 00:00:00"),
            ts("2024-12-01 23:59:59.999999"),
            &days("2024-12-01 00:00:00", 1),
            true,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(
            (
                day1.overall.requests,
                day1.overall.prompt_tokens,
                day1.overall.sessions,
                day1.overall.users
            ),
            (2, 5, 1, 2)
        );
        assert_eq!(day1.overall.duration.p99_ms, Some(4.0));
        assert!(s.days_heap_bytes().len() == 3);
    }

    #[test]
    fn evicting_days_gives_their_session_ids_back_and_counts_stay_exact() {
        // 3,000 one-request sessions a day over three days, and one session seen every day.
        let mut rows = Vec::new();
        for d in 1..=3 {
            for i in 0..3000 {
                let at = format!("2024-12-0{d} 10:{:02}:{:02}", i / 60 % 60, i % 60);
                rows.push(row(
                    &format!("r{d}-{i}"),
                    &at,
                    Some(&format!("s{d}-{i}")),
                    Some("u"),
                    1,
                ));
            }
            rows.push(row(
                &format!("k{d}"),
                &format!("2024-12-0{d} 11:00:00"),
                Some("kept"),
                Some("u"),
                1,
            ));
        }
        let mut s = store(&rows);
        let heap_before = s.heap_bytes();
        s.evict_before(ts("2024-12-03 00:00:00"));
        let series = s.series("bot", "1").unwrap();
        // Only day 3's sessions are left interned (3,001 of 9,001).
        assert_eq!(series.sessions.len(), 3001);
        assert!(series.sessions.get("kept").is_some());
        assert!(series.sessions.get("s1-5").is_none());
        assert!(
            s.heap_bytes() < heap_before / 2,
            "{} vs {heap_before}",
            s.heap_bytes()
        );
        let day3 = bot_stats(
            &s,
            ts("2024-12-03 00:00:00"),
            ts("2024-12-03 23:59:59"),
            &days("2024-12-03 00:00:00", 1),
            false,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(
            (
                day3.overall.requests,
                day3.overall.sessions,
                day3.overall.users
            ),
            (3001, 3001, 1)
        );
        // New rows of a surviving session keep its id; new sessions get new ones.
        s.add(
            &[
                row("k4", "2024-12-04 11:00:00", Some("kept"), Some("u"), 1),
                row("n4", "2024-12-04 12:00:00", Some("s1-5"), None, 1),
            ],
            i64::MAX,
        );
        let two_days = bot_stats(
            &s,
            ts("2024-12-03 00:00:00"),
            ts("2024-12-04 23:59:59"),
            &days("2024-12-03 00:00:00", 2),
            false,
            &EdgeRecords::default(),
        )
        .unwrap();
        assert_eq!(two_days.overall.sessions, 3002);
        assert_eq!(two_days.buckets[1].sessions, 2);
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
