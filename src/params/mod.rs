//! Query parameters shared by the agent endpoints, validated once at the edge into typed values.
//!
//! Every field is read as an optional string so that a bad value produces our own 422 with a
//! message saying how to fix it, instead of a deserializer's generic complaint.

pub mod ranking;
pub mod window_spec;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::cursor::Cursor;
use crate::error::{ApiError, InvalidParam};
use crate::window::{Clock, Days, Granularity, Window};
use window_spec::{parse_window_spec, RawTime, WindowSpec};

pub const DEFAULT_LIMIT: u32 = 100;

/// What `start` and `end` look like (or empty, which counts as absent): a date, or a date and
/// time with an optional offset, of the years 1970 to 9999 (the span the server accepts). Days 29 to 31 of February and the 31st of 30-day months do not
/// match, so that every value the schema allows is one the server reads.
pub const INSTANT_PATTERN: &str = r"^(|(19[7-9]\d|[2-9]\d{3})-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?)$";
/// What the server trims from a value (`str::trim`, Unicode White_Space), as the inside of a
/// character class. Patterns spell it out instead of writing `\s`, which differs by regex
/// dialect (ECMA-262 leaves out U+0085, Python adds U+001C–U+001F): with `\s` a client could
/// take a value for valid that the server reads as blank.
pub const SPACE_CLASS: &str =
    r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Text without NUL characters (Postgres text cannot hold them).
pub const NO_NUL_PATTERN: &str = r"^[^\x00]*$";

/// An IANA time zone name, as a schema: the list the server knows.
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(names))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}
pub const MAX_LIMIT: u32 = 1000;

/// Which agent, which version, how many days back.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AgentParams {
    /// The agent's name, exactly as the caller sent it in its request metadata (`agent_name`).
    /// Matched exactly (case-sensitive); any characters are plain data.
    #[param(
        required = true,
        min_length = 1,
        max_length = 256,
        example = "support-bot"
    )]
    #[validate(
        required(message = "is required"),
        length(min = 1, max = 256, message = "must be 1 to 256 characters long"),
        custom(function = "no_nul_character")
    )]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub agent_name: Option<String>,

    /// The agent's version, exactly as sent in request metadata (`agent_version`).
    #[param(required = true, min_length = 1, max_length = 64, example = "1.0.0")]
    #[validate(
        required(message = "is required"),
        length(min = 1, max = 64, message = "must be 1 to 64 characters long"),
        custom(function = "no_nul_character")
    )]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub agent_version: Option<String>,

    /// The time parameters (documented by [`TimeParams`]).
    #[serde(flatten)]
    #[param(ignore)]
    #[validate(skip)]
    pub time: TimeParams,
}

/// Which stretch of time, in which calendar.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimeParams {
    /// How far back to look: rows with `now − days×24h ≤ startTime ≤ now`. One of 1, 2, 7,
    /// 15 or 20; without `days`, `start` and `end`: 7 (20 on /agents and /metrics/query). With
    /// `start` alone the range runs `days` from it, with `end` alone it starts `days` before it
    /// (default: 7 days before); with both, `days` is not used.
    #[param(value_type = Option<Days>, inline, example = 7)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub days: Option<String>,

    /// Instead of `days`: the range's start, inclusive — RFC 3339 (`2024-12-01T00:00:00Z`) or a
    /// date (`2024-12-01`, midnight in `tz`). Without `end` (or `days`) the range ends now. A
    /// range over 400 days keeps its last 400; an `end` not after `start` is an empty range.
    /// `start` and `end` are dates of the years 1970 to 9999.
    // No example value on start/end: Swagger UI's "Try it out" would fill them in next to `days`.
    // Their pattern is set in openapi::document.
    #[param(value_type = Option<String>)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub start: Option<String>,

    /// Instead of `days`: the range's end, exclusive — RFC 3339 (`2024-12-08T00:00:00Z`) or a
    /// date (`2024-12-08`, midnight in `tz`).
    #[param(value_type = Option<String>)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub end: Option<String>,

    /// IANA time zone of the calendar: dates in `date_range`, daily/weekly buckets and date-only
    /// `start`/`end` follow it (default `UTC`). Example: `Europe/Berlin`.
    #[param(value_type = Option<TimeZoneName>, example = "UTC")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub tz: Option<String>,
}

/// How a time series is bucketed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// Bucket size of the series, in the `tz` calendar: `hour`, `day` (default) or `week`
    /// (starting Monday). Buckets without rows are listed with zeros.
    #[param(value_type = Option<String>, pattern = "^(|hour|day|week)$", example = "day")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub granularity: Option<String>,
}

impl SeriesParams {
    pub fn parse(&self) -> Result<Granularity, ApiError> {
        match self.granularity.as_deref() {
            None => Ok(Granularity::Day),
            Some(raw) => {
                Granularity::parse(raw).map_err(|reason| ApiError::invalid("granularity", reason))
            }
        }
    }
}

/// Page size and position for the list endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = json!(100), example = 100)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub limit: Option<String>,

    /// Opaque position from the previous page's `next_cursor`; omit it for the newest rows.
    /// The cursor also keeps the window of the first page, so a walk through all pages lists
    /// every row of that window exactly once. Cursors are signed: one this service did not
    /// issue (or altered) is a 422.
    #[param(value_type = Option<String>, max_length = 1024)]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub cursor: Option<String>,
}

/// The agent+version a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentKey {
    pub name: String,
    pub version: String,
}

/// A validated agent request: who and when.
#[derive(Debug, Clone)]
pub struct AgentQuery {
    pub agent: AgentKey,
    pub window: Window,
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl AgentParams {
    /// Validates and fixes the window at `clock.now()`.
    pub fn parse(&self, clock: &Clock) -> Result<AgentQuery, ApiError> {
        let (agent, spec) = self.parse_parts()?;
        Ok(AgentQuery {
            agent,
            window: spec.at(clock.now()),
        })
    }

    /// Validates agent and page parameters together, so one response lists every mistake. A
    /// cursor carries the window end of the first page; without one the window ends now.
    pub fn parse_with_page(
        &self,
        page: &PageParams,
        clock: &Clock,
    ) -> Result<(AgentQuery, PageRequest), ApiError> {
        let agent = self.parse_parts();
        let page = page.parse();
        match (agent, page) {
            (Ok((agent, spec)), Ok(page)) => {
                // A `days` window moves with time: a cursor keeps the one its first page had.
                let now = match &page.cursor {
                    Some(cursor) if spec.ends_now() => cursor.window_end,
                    _ => clock.now(),
                };
                Ok((
                    AgentQuery {
                        agent,
                        window: spec.at(now),
                    },
                    page,
                ))
            }
            (agent, page) => {
                let mut problems = invalid_params(agent.err());
                problems.extend(invalid_params(page.err()));
                Err(ApiError::InvalidParams(problems))
            }
        }
    }

    fn parse_parts(&self) -> Result<(AgentKey, WindowSpec), ApiError> {
        let mut problems = match self.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => field_problems(&errors, &["agent_name", "agent_version"]),
        };
        let spec = self.time.spec();
        if let Err(time_problems) = &spec {
            problems.extend(time_problems.iter().cloned());
        }
        match (&self.agent_name, &self.agent_version, spec) {
            (Some(name), Some(version), Ok(spec)) if problems.is_empty() => Ok((
                AgentKey {
                    name: name.clone(),
                    version: version.clone(),
                },
                spec,
            )),
            _ => Err(ApiError::InvalidParams(problems)),
        }
    }
}

impl TimeParams {
    /// The validated time specification (exactly one of days or start/end; a known tz).
    pub fn spec(&self) -> Result<WindowSpec, Vec<InvalidParam>> {
        parse_window_spec(RawTime {
            days: self.days.as_deref(),
            start: self.start.as_deref(),
            end: self.end.as_deref(),
            tz: self.tz.as_deref(),
        })
    }
}

impl PageParams {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let mut problems = Vec::new();
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(raw) => parse_limit(raw).unwrap_or_else(|reason| {
                problems.push(InvalidParam {
                    name: "limit".to_string(),
                    reason,
                });
                DEFAULT_LIMIT
            }),
        };
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(raw) => match Cursor::decode(raw) {
                Ok(cursor) => Some(cursor),
                Err(reason) => {
                    problems.push(InvalidParam {
                        name: "cursor".to_string(),
                        reason,
                    });
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok(PageRequest { limit, cursor })
        } else {
            Err(ApiError::InvalidParams(problems))
        }
    }
}

/// `limit` as a whole number from 1 to [`MAX_LIMIT`]; integral floats like `50.0` are accepted.
pub(crate) fn parse_limit(raw: &str) -> Result<u32, String> {
    let trimmed = raw.trim();
    let value = trimmed.parse::<i64>().ok().or_else(|| {
        trimmed
            .parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    });
    match value {
        Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "must be a whole number from 1 to {MAX_LIMIT} (got {raw:?}); omit it for {DEFAULT_LIMIT}"
        )),
    }
}

/// An empty query value (`start=` from a form's blank field) counts as absent.
pub(crate) fn empty_as_none<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.filter(|v| !v.is_empty()))
}

fn no_nul_character(value: &str) -> Result<(), ValidationError> {
    if value.contains('\0') {
        let mut err = ValidationError::new("nul");
        err.message = Some("must not contain NUL (\\0) characters".into());
        return Err(err);
    }
    Ok(())
}

/// Validator errors as our problem list, in a fixed parameter order.
fn field_problems(errors: &ValidationErrors, order: &[&str]) -> Vec<InvalidParam> {
    let fields = errors.field_errors();
    order
        .iter()
        .filter_map(|name| fields.get(*name).map(|errs| (*name, errs)))
        .flat_map(|(name, errs)| {
            errs.iter().map(move |e| InvalidParam {
                name: name.to_string(),
                reason: e
                    .message
                    .as_deref()
                    .map_or_else(|| e.code.to_string(), str::to_string),
            })
        })
        .collect()
}

/// Agent and series parameters together, so one 422 lists every mistake.
pub fn parse_series(
    params: &AgentParams,
    series: &SeriesParams,
    clock: &Clock,
) -> Result<(AgentQuery, Granularity), ApiError> {
    match (params.parse(clock), series.parse()) {
        (Ok(q), Ok(granularity)) => Ok((q, granularity)),
        (q, granularity) => {
            let mut problems = invalid_params(q.err());
            problems.extend(invalid_params(granularity.err()));
            Err(ApiError::InvalidParams(problems))
        }
    }
}

/// The problems of a failed parse, to be listed with those of the other parameters.
pub(crate) fn invalid_params(err: Option<ApiError>) -> Vec<InvalidParam> {
    match err {
        Some(ApiError::InvalidParams(params)) => params,
        Some(other) => vec![InvalidParam {
            name: "query".to_string(),
            reason: other.to_string(),
        }],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(name: Option<&str>, version: Option<&str>, days: Option<&str>) -> AgentParams {
        AgentParams {
            agent_name: name.map(str::to_string),
            agent_version: version.map(str::to_string),
            time: TimeParams {
                days: days.map(str::to_string),
                ..TimeParams::default()
            },
        }
    }

    fn problems(result: Result<AgentQuery, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::InvalidParams(p)) => p.into_iter().map(|p| p.name).collect(),
            other => panic!("expected invalid params, got {other:?}"),
        }
    }

    #[test]
    fn every_missing_parameter_is_reported_at_once() {
        let clock = Clock::System;
        assert_eq!(
            problems(params(None, None, Some("3")).parse(&clock)),
            ["agent_name", "agent_version", "days"]
        );
    }

    #[test]
    fn empty_long_and_nul_strings_are_rejected() {
        let clock = Clock::System;
        let long = "x".repeat(257);
        assert_eq!(
            problems(params(Some(""), Some("1"), Some("7")).parse(&clock)),
            ["agent_name"]
        );
        assert_eq!(
            problems(params(Some(&long), Some("1"), Some("7")).parse(&clock)),
            ["agent_name"]
        );
        assert_eq!(
            problems(params(Some("a"), Some(&"v".repeat(65)), Some("7")).parse(&clock)),
            ["agent_version"]
        );
        assert_eq!(
            problems(params(Some("a\0b"), Some("1"), Some("7")).parse(&clock)),
            ["agent_name"]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let name = "é".repeat(256); // 512 bytes, 256 characters
        assert!(params(Some(&name), Some("1"), Some("7"))
            .parse(&Clock::System)
            .is_ok());
    }

    #[test]
    fn limit_bounds_are_enforced() {
        for ok in ["1", "1000", "50.0"] {
            assert!(parse_limit(ok).is_ok(), "{ok}");
        }
        for bad in ["0", "1001", "-1", "ten", "", "1.5"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
