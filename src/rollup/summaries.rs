//! Per-session and per-user summaries, a session's requests and the agent catalog, from memory.

use std::collections::{BTreeSet, HashMap};

use super::compute::records;
use super::store::{
    day_of, from_micros, Rec, Store, FAILED, HAS_REPLY, HAS_TOOLS, MICROS_PER_DAY, NONE,
    NO_DURATION,
};
use crate::summaries::{CatalogEntry, SessionSummary, UserSummary};

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
    models: BTreeSet<u16>,
}

#[derive(Default)]
struct UserAcc {
    sessions: BTreeSet<u32>,
    first: i64,
    last: i64,
    requests: i64,
    failed: i64,
    prompt: i64,
    completion: i64,
    total: i64,
    spend: f64,
}

impl Store {
    /// Every session of the agent version with a request in `[start, end]` (optionally only one
    /// user's), with its totals over the window.
    pub fn sessions(
        &self,
        name: &str,
        version: &str,
        start: i64,
        end: i64,
        user: Option<&str>,
    ) -> Vec<SessionSummary> {
        let Some(series) = self.series(name, version) else {
            return Vec::new();
        };
        let user_id = match user {
            Some(u) => match series.users.get(u) {
                Some(id) => Some(id),
                None => return Vec::new(),
            },
            None => None,
        };
        let mut by_session: HashMap<u32, SessionAcc> = HashMap::new();
        for (_, r) in records(series, start, end) {
            if r.session == NONE {
                continue;
            }
            let acc = by_session.entry(r.session).or_insert_with(|| SessionAcc {
                first: r.ts,
                ..SessionAcc::default()
            });
            acc.first = acc.first.min(r.ts);
            acc.last = acc.last.max(r.ts);
            if r.user != NONE && acc.last_user.is_none_or(|(ts, _)| r.ts >= ts) {
                acc.last_user = Some((r.ts, r.user));
            }
            acc.requests += 1;
            acc.failed += i64::from(r.is(FAILED));
            acc.prompt += i64::from(r.prompt);
            acc.completion += i64::from(r.completion);
            acc.total += i64::from(r.total);
            acc.spend += r.spend;
            if r.duration_us != NO_DURATION {
                acc.duration_us += r.duration_us;
                acc.timed += 1;
            }
            acc.tools += i64::from(r.is(HAS_TOOLS));
            acc.models.insert(r.model);
        }
        let name_of = |id: u32, interner: &super::store::Interner| {
            interner
                .value(id)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        by_session
            .into_iter()
            .filter(|(_, acc)| user_id.is_none_or(|u| acc.last_user.is_some_and(|(_, id)| id == u)))
            .map(|(session, acc)| SessionSummary {
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
                models: acc
                    .models
                    .iter()
                    .map(|m| name_of(u32::from(*m), &series.models))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            })
            .collect()
    }

    /// Every user of the agent version with a request in `[start, end]`, with totals.
    pub fn users(&self, name: &str, version: &str, start: i64, end: i64) -> Vec<UserSummary> {
        let Some(series) = self.series(name, version) else {
            return Vec::new();
        };
        let mut by_user: HashMap<u32, UserAcc> = HashMap::new();
        for (_, r) in records(series, start, end) {
            if r.user == NONE {
                continue;
            }
            let acc = by_user.entry(r.user).or_insert_with(|| UserAcc {
                first: r.ts,
                ..UserAcc::default()
            });
            if r.session != NONE {
                acc.sessions.insert(r.session);
            }
            acc.first = acc.first.min(r.ts);
            acc.last = acc.last.max(r.ts);
            acc.requests += 1;
            acc.failed += i64::from(r.is(FAILED));
            acc.prompt += i64::from(r.prompt);
            acc.completion += i64::from(r.completion);
            acc.total += i64::from(r.total);
            acc.spend += r.spend;
        }
        by_user
            .into_iter()
            .map(|(user, acc)| UserSummary {
                user_id: series
                    .users
                    .value(user)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                sessions: acc.sessions.len() as i64,
                requests: acc.requests,
                failed: acc.failed,
                prompt_tokens: acc.prompt,
                completion_tokens: acc.completion,
                total_tokens: acc.total,
                spend: acc.spend,
                first_seen: from_micros(acc.first),
                last_seen: from_micros(acc.last),
            })
            .collect()
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
    /// many. Whole days count from their totals, so this is O(agents × days).
    pub fn catalog(&self, start: i64, end: i64) -> Vec<CatalogEntry> {
        let mut entries = Vec::new();
        for ((name, version), series) in &self.series {
            let (mut requests, mut first, mut last) = (0i64, None::<i64>, None::<i64>);
            for (d, day) in series.days.range(day_of(start)..=day_of(end.max(start))) {
                let whole = d * MICROS_PER_DAY >= start && (d + 1) * MICROS_PER_DAY - 1 <= end;
                let rows: &[Rec] = if whole {
                    &day.rows
                } else {
                    day.slice(start, end)
                };
                if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
                    requests += rows.len() as i64;
                    first = Some(first.map_or(f.ts, |x: i64| x.min(f.ts)));
                    last = Some(last.map_or(l.ts, |x: i64| x.max(l.ts)));
                }
            }
            if let (Some(first), Some(last)) = (first, last) {
                entries.push(CatalogEntry {
                    name: name.clone(),
                    version: version.clone(),
                    first_seen: from_micros(first),
                    last_seen: from_micros(last),
                    requests,
                });
            }
        }
        entries
    }
}
