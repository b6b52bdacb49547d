//! The paging of ranked lists (/sessions, /users): `sort`, `order`, `limit` and `cursor`,
//! parsed and checked once.

use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{invalid_params, parse_limit, AgentParams, AgentQuery, DEFAULT_LIMIT};
use crate::error::ApiError;
use crate::error::InvalidParam;
use crate::summaries::{Ranking, SortKey, SortValue};
use crate::window::{Clock, Span, Window};

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

impl GroupRequest {
    /// The order's name, as lists echo it.
    pub fn order(&self) -> &'static str {
        if self.descending {
            "desc"
        } else {
            "asc"
        }
    }

    /// The page this request asks for, `limit` items long.
    pub fn ranking(&self, limit: usize) -> Ranking {
        Ranking {
            key: self.sort,
            descending: self.descending,
            after: self.cursor.as_ref().map(|c| (c.value, c.id.clone())),
            limit,
        }
    }

    /// The cursor to the page after the one whose last item is `next`, for a list of the window
    /// ending at `window_end` (None on the last page).
    pub fn next_cursor(
        &self,
        window_end: NaiveDateTime,
        next: Option<(SortValue, String)>,
    ) -> Option<String> {
        next.map(|(value, id)| {
            GroupCursor {
                window_end,
                sort: self.sort,
                descending: self.descending,
                value,
                id,
            }
            .encode()
        })
    }
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

/// Agent, time and ranked-list parameters together, so one 422 lists every mistake. A cursor
/// keeps a `days` window where the first page had it.
pub fn parse_ranked(
    params: &AgentParams,
    group: &GroupParams,
    allowed: &[SortKey],
    clock: &Clock,
) -> Result<(AgentQuery, GroupRequest), ApiError> {
    let agent = params.parse(clock);
    let request = group.parse(allowed);
    match (agent, request) {
        (Ok(mut q), Ok(request)) => {
            if let (Some(cursor), Span::Days(days)) = (&request.cursor, q.window.span) {
                q.window = Window::ending_at(cursor.window_end, days, q.window.tz);
            }
            Ok((q, request))
        }
        (agent, request) => {
            let mut problems = invalid_params(agent.err());
            problems.extend(request.err().unwrap_or_default());
            Err(ApiError::InvalidParams(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
