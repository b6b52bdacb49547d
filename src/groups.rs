//! Per-session and per-user summaries of an agent version, and the agent catalog: the values
//! (from the rollup or from SQL) and how they are sorted and paged.

use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::InvalidParam;
use crate::params::{parse_limit, DEFAULT_LIMIT};
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
    fn encode(self) -> String {
        match self {
            SortValue::Int(v) => format!("i{v}"),
            SortValue::Float(v) => format!("f{}", v.to_bits()),
        }
    }

    fn decode(text: &str) -> Option<SortValue> {
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

/// Position in a grouped list: after the item with this sort value and id, for this sort and
/// order, in the window that ended at `window_end` (for `days` windows).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCursor {
    pub window_end: NaiveDateTime,
    pub sort: SortKey,
    pub descending: bool,
    pub value: SortValue,
    pub id: String,
}

const GROUP_CURSOR_VERSION: &str = "g1";
const HOW: &str = "is not a cursor this API issued for this list (or it was issued by an \
                   instance with another CURSOR_SECRET, or before a restart without one); pass \
                   next_cursor from the previous page unchanged (with the same sort and order), \
                   or omit it";

impl GroupCursor {
    pub fn encode(&self) -> String {
        crate::cursor::seal(&format!(
            "{GROUP_CURSOR_VERSION}|{}|{}|{}|{}|{}",
            self.window_end.and_utc().timestamp_micros(),
            self.sort.name(),
            if self.descending { "desc" } else { "asc" },
            self.value.encode(),
            self.id
        ))
    }

    pub fn decode(text: &str, allowed: &[SortKey]) -> Result<GroupCursor, String> {
        // Signed like the row cursors: only positions this service wrote are read back.
        let plain = crate::cursor::unseal(text).ok_or_else(|| HOW.to_string())?;
        let mut parts = plain.splitn(6, '|');
        let (Some(GROUP_CURSOR_VERSION), Some(end), Some(sort), Some(order), Some(value), Some(id)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HOW.to_string());
        };
        let window_end = end
            .parse::<i64>()
            .ok()
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|t| t.naive_utc())
            .filter(|t| crate::window::is_accepted_instant(*t))
            .ok_or_else(|| HOW.to_string())?;
        Ok(GroupCursor {
            window_end,
            sort: SortKey::parse(sort, allowed).map_err(|_| HOW.to_string())?,
            descending: order == "desc",
            value: SortValue::decode(value).ok_or_else(|| HOW.to_string())?,
            id: id.to_string(),
        })
    }
}

/// Sorting and paging of /sessions and /users.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupParams {
    /// What to order by. /sessions: `last_seen` (default), `spend`, `requests`, `duration`
    /// (total); /users: `last_seen` (default), `spend`, `requests`, `sessions`.
    #[param(value_type = Option<String>, example = "last_seen")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`. Ties are ordered by id.
    #[param(value_type = Option<String>, pattern = "^(|asc|desc)$", example = "desc")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub order: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = json!(100), example = 100)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub limit: Option<String>,
    /// Opaque position from the previous page's `next_cursor` (same sort and order).
    #[param(value_type = Option<String>, max_length = 1024)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub cursor: Option<String>,
}

/// A validated grouped-list request.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRequest {
    pub sort: SortKey,
    pub descending: bool,
    pub limit: usize,
    pub cursor: Option<GroupCursor>,
}

impl GroupParams {
    /// Validates against the sorts this list allows; every mistake is reported.
    pub fn parse(&self, allowed: &[SortKey]) -> Result<GroupRequest, Vec<InvalidParam>> {
        let mut problems = Vec::new();
        let mut problem = |name: &str, reason: String| {
            problems.push(InvalidParam {
                name: name.to_string(),
                reason,
            })
        };
        let sort = match self.sort.as_deref() {
            None => SortKey::LastSeen,
            Some(raw) => SortKey::parse(raw, allowed).unwrap_or_else(|reason| {
                problem("sort", reason);
                SortKey::LastSeen
            }),
        };
        let descending = match self.order.as_deref().map(str::trim) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                problem("order", format!("must be asc or desc (got {other:?})"));
                true
            }
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT as usize,
            Some(raw) => parse_limit(raw)
                .map(|n| n as usize)
                .unwrap_or_else(|reason| {
                    problem("limit", reason);
                    DEFAULT_LIMIT as usize
                }),
        };
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(raw) => match GroupCursor::decode(raw, allowed) {
                Ok(c) if c.sort == sort && c.descending == descending => Some(c),
                Ok(_) => {
                    problem(
                        "cursor",
                        "belongs to another sort or order; keep sort and order while paging"
                            .to_string(),
                    );
                    None
                }
                Err(reason) => {
                    problem("cursor", reason);
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok(GroupRequest {
                sort,
                descending,
                limit,
                cursor,
            })
        } else {
            Err(problems)
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

/// The sort value of a session for `key`.
pub fn session_value(s: &SessionSummary, key: SortKey) -> SortValue {
    match key {
        SortKey::LastSeen => SortValue::Int(s.last_seen.and_utc().timestamp_micros()),
        SortKey::Spend => SortValue::Float(round_to(s.spend, 9)),
        SortKey::Requests => SortValue::Int(s.requests),
        SortKey::Duration => SortValue::Int(s.duration_us),
        SortKey::Sessions => SortValue::Int(1),
    }
}

/// The sort value of a user for `key`.
pub fn user_value(u: &UserSummary, key: SortKey) -> SortValue {
    match key {
        SortKey::LastSeen => SortValue::Int(u.last_seen.and_utc().timestamp_micros()),
        SortKey::Spend => SortValue::Float(round_to(u.spend, 9)),
        SortKey::Requests => SortValue::Int(u.requests),
        SortKey::Sessions => SortValue::Int(u.sessions),
        SortKey::Duration => SortValue::Int(0),
    }
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
    fn group_cursors_round_trip_and_reject_other_lists() {
        let cursor = GroupCursor {
            window_end: chrono::DateTime::from_timestamp(1_733_409_000, 0)
                .unwrap()
                .naive_utc(),
            sort: SortKey::Spend,
            descending: true,
            value: SortValue::Float(0.125),
            id: "sess|42".to_string(),
        };
        let all = [SortKey::LastSeen, SortKey::Spend];
        assert_eq!(GroupCursor::decode(&cursor.encode(), &all).unwrap(), cursor);
        assert!(GroupCursor::decode(&cursor.encode(), &[SortKey::LastSeen]).is_err());
        assert!(GroupCursor::decode("nonsense", &all).is_err());
    }

    #[test]
    fn sort_keys_list_the_allowed_ones() {
        let err = SortKey::parse("cost", &[SortKey::LastSeen, SortKey::Spend]).unwrap_err();
        assert!(err.contains("last_seen, spend"), "{err}");
    }
}
