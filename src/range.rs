//! Which stretch of time a request asks for — `days`, or `start`/`end` — and in which calendar
//! (`tz`), validated into a [`WindowSpec`] that becomes a [`Window`] at a given "now".

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::error::InvalidParam;
use crate::window::{
    earliest_instant, format_timestamp, is_accepted_instant, latest_instant, Days, Window,
    ALLOWED_DAYS, MAX_RANGE_DAYS,
};

/// A validated time specification, before "now" is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    Days(Days, Tz),
    /// `[start, end)` in UTC.
    Range(NaiveDateTime, NaiveDateTime, Tz),
}

impl WindowSpec {
    /// The window at `now` (only `days` depends on it).
    pub fn at(self, now: NaiveDateTime) -> Window {
        match self {
            WindowSpec::Days(days, tz) => Window::ending_at(now, days, tz),
            WindowSpec::Range(start, end, tz) => Window::between(start, end, tz),
        }
    }

    pub fn is_days(&self) -> bool {
        matches!(self, WindowSpec::Days(..))
    }
}

/// The raw strings of the time parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawTime<'a> {
    pub days: Option<&'a str>,
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub tz: Option<&'a str>,
}

fn problem(name: &str, reason: impl Into<String>) -> InvalidParam {
    InvalidParam {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Exactly one of `days` or `start`+`end`; `tz` an IANA zone name. Every mistake is reported.
pub fn parse_window_spec(raw: RawTime<'_>) -> Result<WindowSpec, Vec<InvalidParam>> {
    let mut problems = Vec::new();
    let tz = match raw.tz.map(str::trim) {
        None | Some("") => Some(Tz::UTC),
        Some(name) => match name.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                problems.push(problem(
                    "tz",
                    format!("{name:?} is not an IANA time zone; use a name like UTC, Europe/Berlin or America/New_York"),
                ));
                None
            }
        },
    };
    let allowed = ALLOWED_DAYS.map(|d| d.to_string()).join(", ");
    let spec = match (raw.days, raw.start, raw.end) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            problems.push(problem(
                "days",
                "give either days or start and end, not both",
            ));
            None
        }
        (Some(days), None, None) => match Days::parse(days) {
            Ok(days) => tz.map(|tz| WindowSpec::Days(days, tz)),
            Err(reason) => {
                problems.push(problem("days", reason));
                None
            }
        },
        (None, None, None) => {
            problems.push(problem(
                "days",
                format!("is required: one of {allowed} — or give start and end instead"),
            ));
            None
        }
        (None, start, end) => {
            let tz_for_dates = tz.unwrap_or(Tz::UTC);
            let start = parse_instant("start", start, tz_for_dates, &mut problems);
            let end = parse_instant("end", end, tz_for_dates, &mut problems);
            match (start, end) {
                (Some(start), Some(end)) if end <= start => {
                    problems.push(problem("end", "must be after start"));
                    None
                }
                (Some(start), Some(end)) if end - start > Duration::days(MAX_RANGE_DAYS) => {
                    problems.push(problem(
                        "end",
                        format!("the range may span at most {MAX_RANGE_DAYS} days"),
                    ));
                    None
                }
                (Some(start), Some(end)) => tz.map(|tz| WindowSpec::Range(start, end, tz)),
                _ => None,
            }
        }
    };
    match spec {
        Some(spec) if problems.is_empty() => Ok(spec),
        _ => Err(problems),
    }
}

/// RFC 3339 (`2024-12-01T00:00:00Z`), a local date-time (`2024-12-01T08:00:00`, in `tz`) or a
/// date (`2024-12-01`, its midnight in `tz`), as a UTC instant.
fn parse_instant(
    name: &str,
    raw: Option<&str>,
    tz: Tz,
    problems: &mut Vec<InvalidParam>,
) -> Option<NaiveDateTime> {
    let Some(raw) = raw.map(str::trim) else {
        problems.push(problem(
            name,
            "is required with start/end: both, as RFC 3339 or YYYY-MM-DD",
        ));
        return None;
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return accepted(name, t.naive_utc(), problems);
    }
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    match local.and_then(|l| resolve_local(tz, l)) {
        Some(t) => accepted(name, t, problems),
        None => {
            problems.push(problem(
                name,
                format!(
                    "must be RFC 3339 (2024-12-01T00:00:00Z) or a date (2024-12-01); got {raw:?}"
                ),
            ));
            None
        }
    }
}

/// `t` if it lies in the accepted span (1970-01-01 to one day after now), else a problem: dates
/// beyond it would overflow date arithmetic or Postgres' timestamp range.
fn accepted(
    name: &str,
    t: NaiveDateTime,
    problems: &mut Vec<InvalidParam>,
) -> Option<NaiveDateTime> {
    if is_accepted_instant(t) {
        return Some(t);
    }
    problems.push(problem(
        name,
        format!(
            "must be between {} and one day after now ({}); got {}",
            format_timestamp(earliest_instant()),
            format_timestamp(latest_instant()),
            format_timestamp(t)
        ),
    ));
    None
}

/// A local time in `tz` as UTC; in a DST gap, the first local time after it that exists. `None`
/// at the ends of the calendar, where the arithmetic would overflow.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<NaiveDateTime> {
    (0..=96)
        .map_while(|quarter| local.checked_add_signed(Duration::minutes(15 * quarter)))
        .find_map(|l| tz.from_local_datetime(&l).earliest())
        .map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(
        days: Option<&'a str>,
        start: Option<&'a str>,
        end: Option<&'a str>,
        tz: Option<&'a str>,
    ) -> RawTime<'a> {
        RawTime {
            days,
            start,
            end,
            tz,
        }
    }

    fn names(result: Result<WindowSpec, Vec<InvalidParam>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|p| p.name).collect()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn dates_are_midnights_in_the_zone_and_rfc3339_is_absolute() {
        let spec = parse_window_spec(raw(
            None,
            Some("2024-12-01"),
            Some("2024-12-08T00:00:00Z"),
            Some("Europe/Berlin"),
        ))
        .unwrap();
        assert_eq!(
            spec,
            WindowSpec::Range(
                at("2024-11-30 23:00:00"),
                at("2024-12-08 00:00:00"),
                chrono_tz::Europe::Berlin
            )
        );
    }

    #[test]
    fn days_and_range_are_exclusive_and_both_ends_are_needed() {
        assert_eq!(
            names(parse_window_spec(raw(
                Some("7"),
                Some("2024-12-01"),
                None,
                None
            ))),
            ["days"]
        );
        assert_eq!(
            names(parse_window_spec(raw(None, Some("2024-12-01"), None, None))),
            ["end"]
        );
        assert_eq!(
            names(parse_window_spec(raw(None, None, None, None))),
            ["days"]
        );
    }

    #[test]
    fn bad_ranges_and_zones_are_named() {
        assert_eq!(
            names(parse_window_spec(raw(
                None,
                Some("2024-12-08"),
                Some("2024-12-01"),
                None
            ))),
            ["end"]
        );
        assert_eq!(
            names(parse_window_spec(raw(
                None,
                Some("2023-01-01"),
                Some("2024-12-01"),
                None
            ))),
            ["end"]
        );
        assert_eq!(
            names(parse_window_spec(raw(
                None,
                Some("yesterday"),
                Some("2024-12-01"),
                None
            ))),
            ["start"]
        );
        assert_eq!(
            names(parse_window_spec(raw(
                Some("7"),
                None,
                None,
                Some("Mars/Olympus")
            ))),
            ["tz"]
        );
    }

    #[test]
    fn dates_outside_1970_to_tomorrow_are_refused_without_overflow() {
        // The attack run's payload, chrono's last representable local time (an overflow in the
        // DST-gap search), a date before the epoch and one far in the future.
        for (start, end) in [
            ("-262143-01-01", "-262143-02-01"),
            ("+262142-12-30T23:59:59", "+262142-12-31T23:59:59"),
            ("1969-12-01", "1969-12-31"),
            ("9999-01-01", "9999-02-01"),
        ] {
            let got = names(parse_window_spec(raw(
                None,
                Some(start),
                Some(end),
                Some("Pacific/Kiritimati"),
            )));
            assert_eq!(got, ["start", "end"], "{start} {end}");
        }
        // The edges themselves are accepted.
        assert!(parse_window_spec(raw(
            None,
            Some("1970-01-01T00:00:00Z"),
            Some("1970-01-02"),
            None
        ))
        .is_ok());
    }

    #[test]
    fn a_local_time_inside_a_dst_gap_moves_to_the_first_valid_time() {
        // 2024-03-31 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00 CEST = 01:00 UTC).
        let spec = parse_window_spec(raw(
            None,
            Some("2024-03-31T02:30:00"),
            Some("2024-04-01"),
            Some("Europe/Berlin"),
        ))
        .unwrap();
        let WindowSpec::Range(start, _, _) = spec else {
            panic!()
        };
        assert_eq!(start, at("2024-03-31 01:00:00"));
    }
}
