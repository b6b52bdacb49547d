//! Per-session and per-user summaries of an agent version and the agent catalog (from the
//! rollup or from SQL), the values they are ranked by, and the ranking of one page of them.

use chrono::NaiveDateTime;

use crate::stats::round_to;

/// One session of an agent version within a window.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub session_id: String,
    /// The user of the session's latest request that names one.
    pub user_id: Option<String>,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub requests: i64,
    pub failed: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub spend: f64,
    pub duration_us: i64,
    /// Requests with a measured duration (the denominator of the average).
    pub timed_requests: i64,
    pub requests_with_tools: i64,
    /// Distinct models, sorted.
    pub models: Vec<String>,
}

impl SessionSummary {
    pub fn avg_duration_ms(&self) -> Option<f64> {
        (self.timed_requests > 0).then(|| {
            round_to(
                self.duration_us as f64 / self.timed_requests as f64 / 1000.0,
                3,
            )
        })
    }
}

/// One user of an agent version within a window.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSummary {
    pub user_id: String,
    pub sessions: i64,
    pub requests: i64,
    pub failed: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub spend: f64,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
}

/// One agent+version seen in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub name: String,
    pub version: String,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub requests: i64,
}

/// What a grouped list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    LastSeen,
    Spend,
    Requests,
    Duration,
    Sessions,
}

impl SortKey {
    pub fn name(self) -> &'static str {
        match self {
            SortKey::LastSeen => "last_seen",
            SortKey::Spend => "spend",
            SortKey::Requests => "requests",
            SortKey::Duration => "duration",
            SortKey::Sessions => "sessions",
        }
    }

    /// Parses `sort` among `allowed`.
    pub fn parse(raw: &str, allowed: &[SortKey]) -> Result<SortKey, String> {
        allowed
            .iter()
            .copied()
            .find(|k| k.name() == raw.trim())
            .ok_or_else(|| {
                format!(
                    "must be one of {} (got {raw:?})",
                    allowed
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// A sortable value.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum SortValue {
    Int(i64),
    Float(f64),
}

impl SortValue {
    pub(crate) fn encode(self) -> String {
        match self {
            SortValue::Int(v) => format!("i{v}"),
            SortValue::Float(v) => format!("f{}", v.to_bits()),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<SortValue> {
        let (kind, rest) = text.split_at_checked(1)?;
        match kind {
            "i" => rest.parse().ok().map(SortValue::Int),
            "f" => rest
                .parse::<u64>()
                .ok()
                .map(|bits| SortValue::Float(f64::from_bits(bits))),
            _ => None,
        }
    }

    fn cmp(self, other: SortValue) -> std::cmp::Ordering {
        match (self, other) {
            (SortValue::Int(a), SortValue::Int(b)) => a.cmp(&b),
            (SortValue::Float(a), SortValue::Float(b)) => a.total_cmp(&b),
            // Never mixed for one key; order ints first for totality.
            (SortValue::Int(_), SortValue::Float(_)) => std::cmp::Ordering::Less,
            (SortValue::Float(_), SortValue::Int(_)) => std::cmp::Ordering::Greater,
        }
    }
}

/// Sorts `items` by (`value`, `id`) and returns the `limit` items after `after` (all from the
/// start without it), with the cursor to the next page when one follows.
pub fn sort_and_page<T>(
    mut items: Vec<T>,
    value: impl Fn(&T) -> SortValue,
    id: impl Fn(&T) -> &str,
    descending: bool,
    after: Option<(SortValue, &str)>,
    limit: usize,
) -> (Vec<T>, Option<(SortValue, String)>) {
    let order = |a: &T, b: &T| {
        let o = value(a).cmp(value(b)).then_with(|| id(a).cmp(id(b)));
        if descending {
            o.reverse()
        } else {
            o
        }
    };
    items.sort_by(order);
    let start = match after {
        None => 0,
        Some((v, key)) => items.partition_point(|item| {
            let o = value(item).cmp(v).then_with(|| id(item).cmp(key));
            let o = if descending { o.reverse() } else { o };
            o != std::cmp::Ordering::Greater
        }),
    };
    let mut page: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(limit.saturating_add(1))
        .collect();
    let next = (page.len() > limit).then(|| {
        page.truncate(limit);
        page.last().map(|last| (value(last), id(last).to_string()))
    });
    (page, next.flatten())
}

/// Which page of a ranked list (/sessions, /users): the order, where the page starts (after the
/// item with this sort value and id) and how many items it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub key: SortKey,
    pub descending: bool,
    pub after: Option<(SortValue, String)>,
    pub limit: usize,
}

/// One page of a ranked list, and the sort value and id of its last item when another follows.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedPage<T> {
    pub items: Vec<T>,
    pub next: Option<(SortValue, String)>,
}

impl Ranking {
    /// The page out of `all`; `value` gives an item's sort value for a key, `id` its
    /// tie-breaking id.
    pub fn page<T>(
        &self,
        all: Vec<T>,
        value: impl Fn(&T, SortKey) -> SortValue,
        id: impl Fn(&T) -> &str,
    ) -> RankedPage<T> {
        let after = self.after.as_ref().map(|(v, id)| (*v, id.as_str()));
        let by_key = |item: &T| value(item, self.key);
        let (items, next) = sort_and_page(all, by_key, id, self.descending, after, self.limit);
        RankedPage { items, next }
    }
}

/// What a session is ranked by, from its totals (last seen as µs since the epoch): one rule for
/// summaries read by SQL and for the rollup's running totals, so both order alike.
pub fn session_sort_value(
    key: SortKey,
    last_seen_us: i64,
    spend: f64,
    requests: i64,
    duration_us: i64,
) -> SortValue {
    match key {
        SortKey::LastSeen => SortValue::Int(last_seen_us),
        SortKey::Spend => SortValue::Float(round_to(spend, 9)),
        SortKey::Requests => SortValue::Int(requests),
        SortKey::Duration => SortValue::Int(duration_us),
        SortKey::Sessions => SortValue::Int(1),
    }
}

/// What a user is ranked by, from its totals (as [`session_sort_value`]).
pub fn user_sort_value(
    key: SortKey,
    last_seen_us: i64,
    spend: f64,
    requests: i64,
    sessions: i64,
) -> SortValue {
    match key {
        SortKey::LastSeen => SortValue::Int(last_seen_us),
        SortKey::Spend => SortValue::Float(round_to(spend, 9)),
        SortKey::Requests => SortValue::Int(requests),
        SortKey::Sessions => SortValue::Int(sessions),
        SortKey::Duration => SortValue::Int(0),
    }
}

/// The sort value of a session for `key`.
pub fn session_value(s: &SessionSummary, key: SortKey) -> SortValue {
    let last_seen = s.last_seen.and_utc().timestamp_micros();
    session_sort_value(key, last_seen, s.spend, s.requests, s.duration_us)
}

/// The sort value of a user for `key`.
pub fn user_value(u: &UserSummary, key: SortKey) -> SortValue {
    let last_seen = u.last_seen.and_utc().timestamp_micros();
    user_sort_value(key, last_seen, u.spend, u.requests, u.sessions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_every_item_once_in_order_with_ties_broken_by_id() {
        let items: Vec<(i64, &str)> = vec![(3, "c"), (1, "a"), (3, "b"), (2, "d"), (3, "e")];
        for descending in [true, false] {
            let mut seen = Vec::new();
            let mut after: Option<(SortValue, String)> = None;
            loop {
                let (page, next) = sort_and_page(
                    items.clone(),
                    |i| SortValue::Int(i.0),
                    |i| i.1,
                    descending,
                    after.as_ref().map(|(v, id)| (*v, id.as_str())),
                    2,
                );
                seen.extend(page.iter().map(|i| i.1));
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            let expected = if descending {
                ["e", "c", "b", "d", "a"]
            } else {
                ["a", "d", "b", "c", "e"]
            };
            assert_eq!(seen, expected, "descending={descending}");
        }
    }

    #[test]
    fn sort_keys_list_the_allowed_ones() {
        let err = SortKey::parse("cost", &[SortKey::LastSeen, SortKey::Spend]).unwrap_err();
        assert!(err.contains("last_seen, spend"), "{err}");
    }
}
