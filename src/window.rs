//! The time window a request covers and the calendar dates it spans.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Where "now" comes from. The service uses the system clock; tests pin it so that expected
/// numbers can be worked out by hand.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// Now in UTC, truncated to the microsecond resolution of a Postgres timestamp.
    pub fn now(&self) -> NaiveDateTime {
        let now = match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        };
        now.trunc_subsecs(6).naive_utc()
    }
}

/// The `days` values the API accepts.
pub const ALLOWED_DAYS: [u32; 5] = [1, 2, 7, 15, 20];

/// A validated number of days: one of [`ALLOWED_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days(u32);

impl Days {
    /// Parses `days` from the query string. Integral floats such as `7.0` are accepted because
    /// some generated clients send every number that way.
    pub fn parse(raw: &str) -> Result<Days, String> {
        let allowed = ALLOWED_DAYS.map(|d| d.to_string()).join(", ");
        let trimmed = raw.trim();
        let value = trimmed.parse::<u32>().ok().or_else(|| {
            trimmed
                .parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u32::MAX as f64)
                .map(|f| f as u32)
        });
        match value {
            Some(d) if ALLOWED_DAYS.contains(&d) => Ok(Days(d)),
            Some(_) => Err(format!("must be one of {allowed} (got {raw:?})")),
            None => Err(format!(
                "must be a whole number, one of {allowed} (got {raw:?})"
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl utoipa::PartialSchema for Days {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .enum_values(Some(ALLOWED_DAYS))
            .into()
    }
}

impl utoipa::ToSchema for Days {}

/// `[start, end]`, both inclusive: rows with `end − days×24h ≤ "startTime" ≤ end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub days: Days,
}

impl Window {
    pub fn ending_at(end: NaiveDateTime, days: Days) -> Window {
        Window {
            start: end - Duration::hours(24 * i64::from(days.get())),
            end,
            days,
        }
    }

    pub fn start_date(&self) -> NaiveDate {
        self.start.date()
    }

    pub fn end_date(&self) -> NaiveDate {
        self.end.date()
    }

    /// Every calendar date from start_date to end_date inclusive, oldest first (days + 1 of them).
    pub fn dates(&self) -> Vec<NaiveDate> {
        self.start_date()
            .iter_days()
            .take_while(|d| *d <= self.end_date())
            .collect()
    }

    pub fn date_range(&self) -> DateRange {
        DateRange {
            start_date: self.start_date(),
            end_date: self.end_date(),
            window_start: format_timestamp(self.start),
            window_end: format_timestamp(self.end),
        }
    }
}

/// The dates a response covers, and the exact instants of its window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DateRange {
    /// UTC date of the window's start (now − days).
    #[schema(example = "2024-11-28")]
    pub start_date: NaiveDate,
    /// UTC date of the window's end (now).
    #[schema(example = "2024-12-05")]
    pub end_date: NaiveDate,
    /// Exact start of the window, inclusive (RFC 3339, UTC).
    #[schema(example = "2024-11-28T14:30:00Z")]
    pub window_start: String,
    /// Exact end of the window, inclusive (RFC 3339, UTC).
    #[schema(example = "2024-12-05T14:30:00Z")]
    pub window_end: String,
}

/// RFC 3339 in UTC with a `Z`, keeping milliseconds (or microseconds) only when present.
pub fn format_timestamp(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Every date of the window, oldest first, with its value when it has one: the caller turns
/// `None` into zeros, so that no date is ever missing from a daily list.
pub fn each_date<'a, T>(
    window: &Window,
    by_date: &'a HashMap<NaiveDate, T>,
) -> Vec<(NaiveDate, Option<&'a T>)> {
    window
        .dates()
        .into_iter()
        .map(|date| (date, by_date.get(&date)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn seven_days_on_december_fifth_spans_november_28th_to_december_5th() {
        let w = Window::ending_at(at("2024-12-05 14:30:00"), Days::parse("7").unwrap());
        assert_eq!(w.start, at("2024-11-28 14:30:00"));
        assert_eq!(w.start_date(), date("2024-11-28"));
        assert_eq!(w.end_date(), date("2024-12-05"));
        assert_eq!(w.dates().len(), 8);
        assert_eq!(w.dates()[0], date("2024-11-28"));
        assert_eq!(w.dates()[7], date("2024-12-05"));
    }

    #[test]
    fn window_across_a_month_and_year_end_lists_every_date_once() {
        let w = Window::ending_at(at("2025-01-03 00:00:00"), Days::parse("20").unwrap());
        let dates = w.dates();
        assert_eq!(dates.len(), 21);
        assert_eq!(dates[0], date("2024-12-14"));
        assert!(dates.windows(2).all(|p| p[1] == p[0].succ_opt().unwrap()));
    }

    #[test]
    fn days_accepts_only_the_allowed_values() {
        for ok in ["1", "2", "7", "15", "20", " 7 ", "7.0"] {
            assert!(Days::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["0", "3", "-1", "21", "7.5", "abc", "", "1e1", "NaN"] {
            let err = Days::parse(bad).unwrap_err();
            assert!(err.contains("1, 2, 7, 15, 20"), "{bad}: {err}");
        }
    }

    #[test]
    fn each_date_lists_every_date_with_known_values() {
        let w = Window::ending_at(at("2024-12-05 14:30:00"), Days::parse("2").unwrap());
        let by_date = HashMap::from([(date("2024-12-04"), 5_i64), (date("2024-11-01"), 9)]);
        assert_eq!(
            each_date(&w, &by_date),
            vec![
                (date("2024-12-03"), None),
                (date("2024-12-04"), Some(&5)),
                (date("2024-12-05"), None)
            ]
        );
    }

    #[test]
    fn timestamps_keep_milliseconds_only_when_present() {
        assert_eq!(
            format_timestamp(at("2024-12-05 14:30:00")),
            "2024-12-05T14:30:00Z"
        );
        assert_eq!(
            format_timestamp(at("2024-12-05 14:30:00.250")),
            "2024-12-05T14:30:00.250Z"
        );
    }

    #[test]
    fn fixed_clock_is_truncated_to_microseconds() {
        let t = DateTime::parse_from_rfc3339("2024-12-05T14:30:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Clock::Fixed(t).now(), at("2024-12-05 14:30:00.123456"));
    }
}
