//! Per-session and per-user summaries, a session's requests and the agent catalog, from memory.

use std::collections::HashMap;

use super::by_id::{ByInternedId, ModelSet};
use super::compute::records;
use super::store::{
    day_of, from_micros, micros, Day, Interner, Rec, Series, Store, FAILED, HAS_REPLY, HAS_TOOLS,
    MICROS_PER_DAY, MICROS_PER_HOUR, NONE, NO_DURATION,
};
use crate::queries::rollup::LoadedRow;
use crate::summaries::{
    session_sort_value, user_sort_value, CatalogEntry, RankedPage, Ranking, SessionSummary,
    SortKey, SortValue, UserSummary,
};

#[derive(Default)]
struct SessionAcc {
    first: i64,
    last: i64,
    last_user: Option<(i64, u32)>,
    requests: i64,
    failed: i64,
    prompt: i64,
    completion: i64,
    total: i64,
    spend: f64,
    duration_us: i64,
    timed: i64,
    tools: i64,
    models: ModelSet,
}

impl SessionAcc {
    fn add(&mut self, r: &Rec) {
        self.first = self.first.min(r.ts);
        self.last = self.last.max(r.ts);
        if r.user != NONE && self.last_user.is_none_or(|(ts, _)| r.ts >= ts) {
            self.last_user = Some((r.ts, r.user));
        }
        self.requests += 1;
        self.failed += i64::from(r.is(FAILED));
        self.prompt += i64::from(r.prompt);
        self.completion += i64::from(r.completion);
        self.total += i64::from(r.total);
        self.spend += r.spend;
        if r.duration_us != NO_DURATION {
            self.duration_us += r.duration_us;
            self.timed += 1;
        }
        self.tools += i64::from(r.is(HAS_TOOLS));
        self.models.insert(r.model);
    }
}

#[derive(Default)]
struct UserAcc {
    sessions: i64,
    first: i64,
    last: i64,
    requests: i64,
    failed: i64,
    prompt: i64,
    completion: i64,
    total: i64,
    spend: f64,
}

impl UserAcc {
    fn add(&mut self, r: &Rec) {
        self.first = self.first.min(r.ts);
        self.last = self.last.max(r.ts);
        self.requests += 1;
        self.failed += i64::from(r.is(FAILED));
        self.prompt += i64::from(r.prompt);
        self.completion += i64::from(r.completion);
        self.total += i64::from(r.total);
        self.spend += r.spend;
    }
}

/// The days of a series that `[start, end]` touches: their distinct-id sets bound a window's.
fn days_in(series: &Series, start: i64, end: i64) -> impl Iterator<Item = &Day> {
    let days = if start <= end {
        series.days.range(day_of(start)..=day_of(end))
    } else {
        series.days.range(0..0)
    };
    days.map(|(_, day)| day)
}

/// The interned value `id` stands for ("" for none, which interned ids never are).
fn name_of(id: u32, interner: &Interner) -> String {
    interner
        .value(id)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// A session's summary from its running totals.
fn session_summary(series: &Series, session: u32, acc: &SessionAcc) -> SessionSummary {
    let mut models: Vec<String> = acc
        .models
        .ids()
        .map(|m| name_of(u32::from(m), &series.models))
        .collect();
    models.sort_unstable();
    models.dedup();
    SessionSummary {
        session_id: name_of(session, &series.sessions),
        user_id: acc.last_user.map(|(_, u)| name_of(u, &series.users)),
        first_seen: from_micros(acc.first),
        last_seen: from_micros(acc.last),
        requests: acc.requests,
        failed: acc.failed,
        prompt_tokens: acc.prompt,
        completion_tokens: acc.completion,
        total_tokens: acc.total,
        spend: acc.spend,
        duration_us: acc.duration_us,
        timed_requests: acc.timed,
        requests_with_tools: acc.tools,
        models,
    }
}

/// A user's summary from its running totals.
fn user_summary(series: &Series, user: u32, acc: &UserAcc) -> UserSummary {
    UserSummary {
        user_id: name_of(user, &series.users),
        sessions: acc.sessions,
        requests: acc.requests,
        failed: acc.failed,
        prompt_tokens: acc.prompt,
        completion_tokens: acc.completion,
        total_tokens: acc.total,
        spend: acc.spend,
        first_seen: from_micros(acc.first),
        last_seen: from_micros(acc.last),
    }
}

/// The page `ranking` asks for out of per-id running totals (ids named by `names`), ranked by
/// `value`; only the page's items are turned into summaries by `summary`.
fn rank_page<A, S>(
    totals: Vec<(u32, A)>,
    names: &Interner,
    ranking: &Ranking,
    value: impl Fn(&A, SortKey) -> SortValue,
    summary: impl Fn(u32, &A) -> S,
) -> RankedPage<S> {
    let named = totals
        .into_iter()
        .map(|(id, acc)| (name_str(id, names), id, acc))
        .collect();
    let page = ranking.page(
        named,
        |(_, _, acc), key| value(acc, key),
        |(name, _, _)| name,
    );
    RankedPage {
        items: page
            .items
            .iter()
            .map(|(_, id, acc)| summary(*id, acc))
            .collect(),
        next: page.next,
    }
}

/// The interned value `id` stands for, borrowed ("" for none, which interned ids never are).
fn name_str(id: u32, interner: &Interner) -> &str {
    interner.value(id).map_or("", |v| v)
}

impl Store {
    /// Every session of the agent version with a request in `[start, end]` (optionally only one
    /// user's, or only the one named `session`), with its totals over the window. Asked for one
    /// session, only that session's records are aggregated and one summary is built.
    pub fn sessions(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        user: Option<&str>,
        session: Option<&str>,
    ) -> Vec<SessionSummary> {
        let Some((series, totals)) = self.session_totals(name, version, start, end, user, session)
        else {
            return Vec::new();
        };
        let mut summaries = Vec::with_capacity(totals.len());
        summaries.extend(
            totals
                .into_iter()
                .map(|(id, acc)| session_summary(series, id, &acc)),
        );
        summaries
    }

    /// One page of the sessions [`Store::sessions`] lists (without a `session`), ranked on the
    /// running totals: only the page's summaries are built, however many sessions the window has.
    pub fn ranked_sessions(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        user: Option<&str>,
        ranking: &Ranking,
    ) -> RankedPage<SessionSummary> {
        let Some((series, totals)) = self.session_totals(name, version, start, end, user, None)
        else {
            return RankedPage {
                items: Vec::new(),
                next: None,
            };
        };
        rank_page(
            totals,
            &series.sessions,
            ranking,
            |acc, key| session_sort_value(key, acc.last, acc.spend, acc.requests, acc.duration_us),
            |id, acc| session_summary(series, id, acc),
        )
    }

    /// The series and its sessions' running totals over `[start, end]` (only those whose user is
    /// `user`, or only `session`); None when the series, the user or the session is unknown.
    fn session_totals(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        user: Option<&str>,
        session: Option<&str>,
    ) -> Option<(&Series, Vec<(u32, SessionAcc)>)> {
        let series = self.series(name, version)?;
        let only_session = match session {
            Some(s) => Some(series.sessions.get(s)?),
            None => None,
        };
        let user_id = match user {
            Some(u) => Some(series.users.get(u)?),
            None => None,
        };
        let expected = days_in(series, start, end)
            .map(|d| d.sessions.len())
            .sum::<u64>();
        let mut by_session = ByInternedId::<SessionAcc>::new(
            series.sessions.len(),
            usize::try_from(expected).unwrap_or(usize::MAX),
        );
        for (_, r) in records(series, start, end) {
            if r.session == NONE || only_session.is_some_and(|id| id != r.session) {
                continue;
            }
            by_session
                .entry(r.session, || SessionAcc {
                    first: r.ts,
                    ..SessionAcc::default()
                })
                .add(r);
        }
        let of_user =
            |acc: &SessionAcc| user_id.is_none_or(|u| acc.last_user.is_some_and(|(_, id)| id == u));
        let totals = by_session
            .into_entries()
            .filter(|(_, acc)| of_user(acc))
            .collect();
        Some((series, totals))
    }

    /// Every user of the agent version with a request in `[start, end]`, with totals.
    pub fn users(&self, name: &str, version: &str, start: i64, end: i64) -> Vec<UserSummary> {
        let Some((series, totals)) = self.user_totals(name, version, start, end) else {
            return Vec::new();
        };
        let mut summaries = Vec::with_capacity(totals.len());
        summaries.extend(
            totals
                .into_iter()
                .map(|(id, acc)| user_summary(series, id, &acc)),
        );
        summaries
    }

    /// One page of [`Store::users`], ranked on the running totals: only the page's summaries are
    /// built.
    pub fn ranked_users(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        ranking: &Ranking,
    ) -> RankedPage<UserSummary> {
        let Some((series, totals)) = self.user_totals(name, version, start, end) else {
            return RankedPage {
                items: Vec::new(),
                next: None,
            };
        };
        rank_page(
            totals,
            &series.users,
            ranking,
            |acc, key| user_sort_value(key, acc.last, acc.spend, acc.requests, acc.sessions),
            |id, acc| user_summary(series, id, acc),
        )
    }

    /// The series and its users' running totals over `[start, end]`; None for an unknown series.
    fn user_totals(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
    ) -> Option<(&Series, Vec<(u32, UserAcc)>)> {
        let series = self.series(name, version)?;
        let expected = days_in(series, start, end)
            .map(|d| d.users.len())
            .sum::<u64>();
        let mut by_user = ByInternedId::<UserAcc>::new(
            series.users.len(),
            usize::try_from(expected).unwrap_or(usize::MAX),
        );
        // (user, session) pairs, sorted and deduplicated afterwards: each user's distinct
        // sessions without a set per user.
        let mut pairs: Vec<u64> = Vec::new();
        for (_, r) in records(series, start, end) {
            if r.user == NONE {
                continue;
            }
            by_user
                .entry(r.user, || UserAcc {
                    first: r.ts,
                    ..UserAcc::default()
                })
                .add(r);
            if r.session != NONE {
                pairs.push(u64::from(r.user) << 32 | u64::from(r.session));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        for pair in pairs {
            // Every paired user was entered above, so this only counts.
            by_user
                .entry((pair >> 32) as u32, UserAcc::default)
                .sessions += 1;
        }
        Some((series, by_user.into_entries().collect()))
    }

    /// (startTime, request_id) of one session's requests in `[start, end]`, oldest first.
    pub fn session_requests(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        session: &str,
    ) -> Vec<(i64, String)> {
        let Some(series) = self.series(name, version) else {
            return Vec::new();
        };
        let Some(id) = series.sessions.get(session) else {
            return Vec::new();
        };
        records(series, start, end)
            .filter(|(_, r)| r.session == id)
            .map(|(day, r)| (r.ts, day.request_id(r).to_string()))
            .collect()
    }

    /// Whether a request of the session in `[start, end]` carries an assistant reply.
    pub fn session_has_replies(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        session: &str,
    ) -> bool {
        let Some(series) = self.series(name, version) else {
            return false;
        };
        let Some(id) = series.sessions.get(session) else {
            return false;
        };
        records(series, start, end).any(|(_, r)| r.session == id && r.is(HAS_REPLY))
    }

    /// Every agent+version with requests in `[start, end]`: first and last seen there, and how
    /// many. Days count from their records, or a compacted day from its hours; an hour of a
    /// compacted day the window cuts comes from `edges` (rows of every agent, from the
    /// database), and Err lists such hours `edges` lacks.
    pub fn catalog(
        &self,
        start: i64,
        end: i64,
        edges: &CatalogEdges,
    ) -> Result<Vec<CatalogEntry>, Vec<i64>> {
        let mut entries = Vec::new();
        let mut missing = Vec::new();
        for ((name, version), series) in &self.series {
            let mut seen = Seen::default();
            for (d, day) in series.days.range(day_of(start)..=day_of(end.max(start))) {
                let day_start = d * MICROS_PER_DAY;
                let (lo, hi) = (
                    start.max(day_start),
                    end.min(day_start + MICROS_PER_DAY - 1),
                );
                match &day.compacted {
                    Some(compacted) if lo == day_start && hi == day_start + MICROS_PER_DAY - 1 => {
                        // A whole day: its totals and its first and last hour's bounds.
                        if let (Some(first), Some(last)) =
                            (compacted.hours.first(), compacted.hours.last())
                        {
                            seen.add(day.totals.requests, first.first, last.last);
                        }
                    }
                    Some(compacted) => {
                        for hour in &compacted.hours {
                            let from = day_start + i64::from(hour.hour) * MICROS_PER_HOUR;
                            let to = from + MICROS_PER_HOUR - 1;
                            if to < lo || from > hi {
                                continue;
                            }
                            if lo <= from && to <= hi {
                                seen.add(hour.totals.requests, hour.first, hour.last);
                                continue;
                            }
                            let absolute = from / MICROS_PER_HOUR;
                            let Some(rows) = edges.by_hour.get(&absolute) else {
                                missing.push(absolute);
                                continue;
                            };
                            rows.iter()
                                .filter(|(n, v, ts)| {
                                    n == name && v == version && (lo..=hi).contains(ts)
                                })
                                .for_each(|(_, _, ts)| seen.add(1, *ts, *ts));
                        }
                    }
                    None => {
                        // A whole day needs no search (two binary searches per day and agent
                        // were most of the catalog's cost).
                        let whole = lo == day_start && hi == day_start + MICROS_PER_DAY - 1;
                        let rows = if whole {
                            day.rows.as_slice()
                        } else {
                            day.slice(lo, hi)
                        };
                        if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
                            seen.add(rows.len() as i64, f.ts, l.ts);
                        }
                    }
                }
            }
            if let (Some(first), Some(last)) = (seen.first, seen.last) {
                entries.push(CatalogEntry {
                    name: name.clone(),
                    version: version.clone(),
                    first_seen: from_micros(first),
                    last_seen: from_micros(last),
                    requests: seen.requests,
                });
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            return Err(missing);
        }
        Ok(entries)
    }
}

/// Rows of every agent in single hours of compacted days, read from the database: (agent name,
/// version, startTime) by hour, for [`Store::catalog`].
#[derive(Debug, Default)]
pub struct CatalogEdges {
    by_hour: HashMap<i64, Vec<(String, String, i64)>>,
}

impl CatalogEdges {
    /// From the rows of whole `hours` (every agent's).
    pub fn new<'r>(hours: &[i64], rows: impl Iterator<Item = &'r LoadedRow>) -> CatalogEdges {
        let mut by_hour: HashMap<i64, Vec<(String, String, i64)>> =
            hours.iter().map(|h| (*h, Vec::new())).collect();
        for row in rows {
            let Some(fields) = &row.agent else { continue };
            let ts = micros(row.start_time);
            if let Some(hour) = by_hour.get_mut(&ts.div_euclid(MICROS_PER_HOUR)) {
                hour.push((fields.name.clone(), fields.version.clone(), ts));
            }
        }
        CatalogEdges { by_hour }
    }
}

/// Requests counted, and the first and last seen.
#[derive(Default)]
struct Seen {
    requests: i64,
    first: Option<i64>,
    last: Option<i64>,
}

impl Seen {
    fn add(&mut self, requests: i64, first: i64, last: i64) {
        if requests > 0 {
            self.requests += requests;
            self.first = Some(self.first.map_or(first, |x| x.min(first)));
            self.last = Some(self.last.map_or(last, |x| x.max(last)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::{from_micros, MICROS_PER_HOUR};
    use super::*;
    use crate::queries::rollup::{AgentFields, LoadedRow};

    /// A row of agent bot/1 at `hour` hours after the epoch.
    fn row(
        id: &str,
        hour: i64,
        session: Option<&str>,
        user: Option<&str>,
        model: &str,
    ) -> LoadedRow {
        LoadedRow {
            request_id: id.to_string(),
            start_time: from_micros(hour * MICROS_PER_HOUR),
            agent: Some(AgentFields {
                name: "bot".into(),
                version: "1".into(),
                session: session.map(str::to_string),
                user: user.map(str::to_string),
                model: model.into(),
                prompt_tokens: 10,
                completion_tokens: 1,
                total_tokens: 11,
                cached_tokens: 0,
                spend: 0.25,
                failed: false,
                cache_hit: false,
                duration_us: None,
                ttft_us: None,
                has_tools: false,
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
    fn rows_loaded_newest_first_are_kept_oldest_first_with_ties_in_arrival_order() {
        let mut s = store(&[row("late", 5, Some("s1"), None, "m")]);
        // An older batch arriving later, itself out of order, with a tie at hour 5.
        s.add(
            &[
                row("tie", 5, Some("s1"), None, "m"),
                row("b", 3, Some("s1"), None, "m"),
                row("a", 1, Some("s1"), None, "m"),
            ],
            i64::MAX,
        );
        let order: Vec<String> = s
            .session_requests("bot", "1", 0, 10 * MICROS_PER_HOUR, "s1")
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        assert_eq!(order, ["a", "b", "late", "tie"]);
        // Slicing relies on the order: the window from hour 3 on holds three requests.
        let from_three = s.sessions(
            "bot",
            "1",
            3 * MICROS_PER_HOUR,
            10 * MICROS_PER_HOUR,
            None,
            None,
        );
        assert_eq!(from_three[0].requests, 3);
    }

    #[test]
    fn a_session_lists_every_distinct_model_sorted_even_past_sixty_four() {
        // 70 models in one session (ids 0..70, so some beyond the bit set), each used twice.
        let rows: Vec<LoadedRow> = (0..140)
            .map(|i| {
                row(
                    &format!("r{i}"),
                    i,
                    Some("s1"),
                    Some("u1"),
                    &format!("m{:02}", i % 70),
                )
            })
            .collect();
        let s = store(&rows);
        let sessions = s.sessions("bot", "1", 0, 140 * MICROS_PER_HOUR, None, None);
        assert_eq!(sessions.len(), 1);
        let expected: Vec<String> = (0..70).map(|m| format!("m{m:02}")).collect();
        assert_eq!(sessions[0].models, expected);
        assert_eq!(sessions[0].requests, 140);
    }

    #[test]
    fn a_users_sessions_count_once_however_often_and_however_interleaved() {
        let s = store(&[
            row("a", 1, Some("s1"), Some("u1"), "m"),
            row("b", 2, Some("s1"), Some("u2"), "m"),
            row("c", 3, Some("s1"), Some("u1"), "m"),
            row("d", 30, Some("s2"), Some("u1"), "m"), // another day
            row("e", 31, None, Some("u2"), "m"),
            row("f", 32, Some("s3"), None, "m"),
        ]);
        let mut users: Vec<(String, i64, i64)> = s
            .users("bot", "1", 0, 40 * MICROS_PER_HOUR)
            .into_iter()
            .map(|u| (u.user_id, u.sessions, u.requests))
            .collect();
        users.sort();
        // u1: s1, s2 over 3 requests; u2: s1 and one request without a session.
        assert_eq!(users, [("u1".into(), 2, 3), ("u2".into(), 1, 2)]);
        // s1's user is its latest request's (u1 at hour 3); only u1's sessions for u1.
        let mut of_u1: Vec<String> = s
            .sessions("bot", "1", 0, 40 * MICROS_PER_HOUR, Some("u1"), None)
            .into_iter()
            .map(|x| x.session_id)
            .collect();
        of_u1.sort();
        assert_eq!(of_u1, ["s1", "s2"]);
        assert!(s
            .sessions("bot", "1", 0, 40 * MICROS_PER_HOUR, Some("u2"), None)
            .is_empty());
    }

    #[test]
    fn one_named_session_is_summed_alone_and_an_unknown_one_is_empty() {
        let s = store(&[
            row("a", 1, Some("s1"), Some("u1"), "m"),
            row("b", 2, Some("s2"), Some("u2"), "m"),
            row("c", 3, Some("s1"), Some("u3"), "n"),
            row("d", 30, Some("s1"), None, "m"), // another day
        ]);
        let end = 40 * MICROS_PER_HOUR;
        let one = s.sessions("bot", "1", 0, end, None, Some("s1"));
        assert_eq!(one.len(), 1);
        // s1: requests a, c and d; its user is that of its latest request naming one (c: u3).
        assert_eq!(one[0].session_id, "s1");
        assert_eq!(one[0].requests, 3);
        assert_eq!(one[0].user_id.as_deref(), Some("u3"));
        assert_eq!(one[0].models, ["m", "n"]);
        let all = s.sessions("bot", "1", 0, end, None, None);
        assert_eq!(all.iter().find(|x| x.session_id == "s1"), Some(&one[0]));
        assert!(s.sessions("bot", "1", 0, end, None, Some("s9")).is_empty());
    }

    #[test]
    fn ranked_pages_equal_ranking_the_full_lists() {
        use crate::summaries::{session_value, user_value, SortKey};
        let s = store(&[
            row("a", 1, Some("s1"), Some("u1"), "m"),
            row("b", 2, Some("s2"), Some("u2"), "m"),
            row("c", 3, Some("s1"), Some("u3"), "n"),
            row("d", 30, Some("s3"), Some("u1"), "m"),
            row("e", 31, Some("s4"), Some("u2"), "m"),
            row("f", 32, Some("s4"), None, "n"),
        ]);
        let end = 40 * MICROS_PER_HOUR;
        let keys = [
            SortKey::LastSeen,
            SortKey::Spend,
            SortKey::Requests,
            SortKey::Duration,
            SortKey::Sessions,
        ];
        for key in keys {
            for descending in [true, false] {
                let mut ranking = Ranking {
                    key,
                    descending,
                    after: None,
                    limit: 2,
                };
                // Walk every page both ways; each must equal ranking the whole list.
                loop {
                    let all = s.sessions("bot", "1", 0, end, None, None);
                    let expected = ranking.page(all, session_value, |x| x.session_id.as_str());
                    let got = s.ranked_sessions("bot", "1", 0, end, None, &ranking);
                    assert_eq!(got, expected, "{key:?} descending={descending}");
                    let users = ranking.page(s.users("bot", "1", 0, end), user_value, |u| {
                        u.user_id.as_str()
                    });
                    assert_eq!(s.ranked_users("bot", "1", 0, end, &ranking), users);
                    match got.next {
                        Some(next) => ranking.after = Some(next),
                        None => break,
                    }
                }
            }
        }
    }
}
