//! Which stretch of time a request asks for — `days`, or `start`/`end` — and in which calendar
//! (`tz`), validated into a [`WindowSpec`] that becomes a [`Window`] at a given "now".

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::error::InvalidParam;
use crate::window::{is_accepted_instant, Days, Window, DEFAULT_DAYS, MAX_RANGE_DAYS};

/// A validated time specification, before "now" is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    Days(Days, Tz),
    /// `[start, end)` in UTC.
    Range(NaiveDateTime, NaiveDateTime, Tz),
    /// `[start, now]`: a `start` without `end` or `days`.
    Since(NaiveDateTime, Tz),
}

impl WindowSpec {
    /// The window at `now` (`days` and a lone `start` depend on it).
    pub fn at(self, now: NaiveDateTime) -> Window {
        match self {
            WindowSpec::Days(days, tz) => Window::ending_at(now, days, tz),
            WindowSpec::Range(start, end, tz) => Window::between(start, end, tz),
            WindowSpec::Since(start, tz) => {
                let end = now + Duration::microseconds(1);
                Window::between(at_most_max_range(start, end), end, tz)
            }
        }
    }

    /// Whether the window ends at "now" (and so moves with time).
    pub fn ends_now(&self) -> bool {
        matches!(self, WindowSpec::Days(..) | WindowSpec::Since(..))
    }
}

/// A range's start moved up so that the range spans at most [`MAX_RANGE_DAYS`].
fn at_most_max_range(start: NaiveDateTime, end: NaiveDateTime) -> NaiveDateTime {
    start.max(end - Duration::days(MAX_RANGE_DAYS))
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

/// The time parameters as a window specification; every malformed value is reported. Any
/// combination of well-formed values is a window, because OpenAPI cannot express rules between
/// parameters (and a client generated from the schema may send any of them):
/// - nothing: the last [`DEFAULT_DAYS`] days; `days` alone: the last `days` days;
/// - `start` and `end`: `[start, end)` (`days` is then not used); a range longer than
///   [`MAX_RANGE_DAYS`] days keeps its last 400 days, and an `end` not after `start` is an empty
///   range;
/// - `start` alone: to `start + days` with `days`, else to now;
/// - `end` alone: from `end − days` (default [`DEFAULT_DAYS`]).
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
    let days = match raw.days.map(Days::parse) {
        None => None,
        Some(Ok(days)) => Some(days),
        Some(Err(reason)) => {
            problems.push(problem("days", reason));
            None
        }
    };
    let tz_for_dates = tz.unwrap_or(Tz::UTC);
    let start = raw
        .start
        .map(|raw| parse_instant("start", raw, tz_for_dates, &mut problems));
    let end = raw
        .end
        .map(|raw| parse_instant("end", raw, tz_for_dates, &mut problems));
    let length = Duration::hours(24 * i64::from(days.map_or(DEFAULT_DAYS, Days::get)));
    let (Some(tz), true) = (tz, problems.is_empty()) else {
        return Err(problems);
    };
    let spec = match (start.flatten(), end.flatten()) {
        (None, None) => WindowSpec::Days(days.unwrap_or(Days::DEFAULT), tz),
        (Some(start), Some(end)) => WindowSpec::Range(at_most_max_range(start, end), end, tz),
        (Some(start), None) if days.is_some() => WindowSpec::Range(start, start + length, tz),
        (Some(start), None) => WindowSpec::Since(start, tz),
        (None, Some(end)) => WindowSpec::Range(end - length, end, tz),
    };
    Ok(spec)
}

/// RFC 3339 (`2024-12-01T00:00:00Z`), a local date-time (`2024-12-01T08:00:00`, in `tz`) or a
/// date (`2024-12-01`, its midnight in `tz`), as a UTC instant.
fn parse_instant(
    name: &str,
    raw: &str,
    tz: Tz,
    problems: &mut Vec<InvalidParam>,
) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        // The date as written, in its own offset (chrono's `naive_local` panics at its limits).
        let offset = Duration::seconds(i64::from(t.offset().local_minus_utc()));
        if let Some(written) = t.naive_utc().checked_add_signed(offset) {
            return accepted(name, written, t.naive_utc(), problems);
        }
    }
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    match local.and_then(|l| Some((l, resolve_local(tz, l)?))) {
        Some((l, t)) => accepted(name, l, t, problems),
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

/// `utc` if the date as written (`written`, in its own zone) is of the years 1970 to 9999, else a
/// problem: dates beyond would overflow date arithmetic or Postgres' timestamp range, and no
/// LiteLLM row is older.
fn accepted(
    name: &str,
    written: NaiveDateTime,
    utc: NaiveDateTime,
    problems: &mut Vec<InvalidParam>,
) -> Option<NaiveDateTime> {
    if (1970..=9999).contains(&written.year()) && is_accepted_instant(utc) {
        return Some(utc);
    }
    problems.push(problem(
        name,
        "must be a date of the years 1970 to 9999 (no LiteLLM row is older; a window in the future is simply empty)",
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

    fn spec(days: Option<&str>, start: Option<&str>, end: Option<&str>) -> WindowSpec {
        parse_window_spec(raw(days, start, end, None)).unwrap()
    }

    #[test]
    fn every_combination_of_well_formed_values_is_a_window() {
        let utc = Tz::UTC;
        assert_eq!(spec(None, None, None), WindowSpec::Days(Days::DEFAULT, utc));
        assert_eq!(
            spec(Some("2"), None, None),
            WindowSpec::Days(Days::parse("2").unwrap(), utc)
        );
        // start and end win over days.
        let range = WindowSpec::Range(at("2024-12-01 00:00:00"), at("2024-12-03 00:00:00"), utc);
        assert_eq!(
            spec(Some("7"), Some("2024-12-01"), Some("2024-12-03")),
            range
        );
        assert_eq!(spec(None, Some("2024-12-01"), Some("2024-12-03")), range);
        // A lone start runs for days, or to now; a lone end looks back days (default 7).
        assert_eq!(
            spec(Some("2"), Some("2024-12-01"), None),
            WindowSpec::Range(at("2024-12-01 00:00:00"), at("2024-12-03 00:00:00"), utc)
        );
        let since = spec(None, Some("2024-12-01"), None);
        assert_eq!(since, WindowSpec::Since(at("2024-12-01 00:00:00"), utc));
        let window = since.at(at("2024-12-05 14:30:00"));
        assert_eq!(
            (window.start, window.end),
            (at("2024-12-01 00:00:00"), at("2024-12-05 14:30:00"))
        );
        assert_eq!(
            spec(None, None, Some("2024-12-08")),
            WindowSpec::Range(at("2024-12-01 00:00:00"), at("2024-12-08 00:00:00"), utc)
        );
        // A range over 400 days keeps its last 400; a reversed one is empty (no rows).
        assert_eq!(
            spec(None, Some("2023-01-01"), Some("2024-12-01")),
            WindowSpec::Range(at("2023-10-28 00:00:00"), at("2024-12-01 00:00:00"), utc)
        );
        let reversed =
            spec(None, Some("2024-12-08"), Some("2024-12-01")).at(at("2024-12-09 00:00:00"));
        assert!(reversed.end < reversed.start);
    }

    #[test]
    fn malformed_values_and_zones_are_named() {
        assert_eq!(
            names(parse_window_spec(raw(
                Some("3"),
                Some("yesterday"),
                Some("2024-12-01"),
                None
            ))),
            ["days", "start"]
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
    fn dates_outside_the_years_1970_to_9999_are_refused_without_overflow() {
        // The attack run's payload, chrono's last representable local time (an overflow in the
        // DST-gap search), a date before the epoch and one after 9999.
        for (start, end) in [
            ("-262143-01-01", "-262143-02-01"),
            ("+262142-12-30T23:59:59", "+262142-12-31T23:59:59"),
            ("1969-12-01", "1969-12-31"),
            ("10000-01-01", "10000-02-01"),
        ] {
            let got = names(parse_window_spec(raw(
                None,
                Some(start),
                Some(end),
                Some("Pacific/Kiritimati"),
            )));
            assert_eq!(got, ["start", "end"], "{start} {end}");
        }
        // The edges themselves are accepted, in the zones furthest ahead of and behind UTC too.
        for tz in ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"] {
            for (start, end) in [
                ("1970-01-01", "1970-01-02"),
                ("9999-12-01", "9999-12-31T23:59:59"),
            ] {
                let spec = parse_window_spec(raw(None, Some(start), Some(end), Some(tz)));
                assert!(spec.is_ok(), "{start} {end} {tz}");
            }
        }
        assert!(parse_window_spec(raw(
            None,
            Some("1970-01-01T00:00:00+23:59"),
            Some("9999-12-31T23:59:59-23:59"),
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
