//! The time window a request covers, in which time zone its calendar runs, and how it divides
//! into buckets (hours, days, weeks of that calendar).

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

/// The window when none of `days`, `start`, `end` is given, and the length a lone `end` looks
/// back.
pub const DEFAULT_DAYS: u32 = 7;

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
/// The longest start/end range.
pub const MAX_RANGE_DAYS: i64 = 400;

/// The earliest instant a request may name (`start`, `end`, a cursor's window): the first moment
/// of 1970 in the zone furthest ahead of UTC. No LiteLLM row is older, and the bound keeps every
/// date computation far from the limits of chrono (which panics) and Postgres (which fails with
/// 22008).
pub fn earliest_instant() -> NaiveDateTime {
    DateTime::UNIX_EPOCH.naive_utc() - Duration::days(1)
}

/// The first instant after the latest a request may name: the end of 9999 in the zone furthest
/// behind UTC. `start` and `end` are the dates of the years 1970 to 9999 in any zone — a bound
/// the OpenAPI pattern states exactly (a moving one such as "now + 1 day" could not be stated, and
/// a schema-valid request would be refused); a window in the future is simply empty.
pub fn instant_bound() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(10000, 1, 2)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MAX)
}

/// Whether `t` is within [`earliest_instant`] … [`instant_bound`].
pub fn is_accepted_instant(t: NaiveDateTime) -> bool {
    (earliest_instant()..instant_bound()).contains(&t)
}

/// A validated number of days: one of [`ALLOWED_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days(u32);

impl Days {
    /// What a request without any time parameter gets.
    pub const DEFAULT: Days = Days(DEFAULT_DAYS);

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

/// How the window was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// `days=N`: `[now − N×24h, now]`, both ends inclusive.
    Days(Days),
    /// `start`/`end`: `[start, end)`, the end exclusive.
    Range,
}

/// `[start, end]`, both inclusive, in UTC; `tz` is the calendar for dates and buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub span: Span,
    pub tz: Tz,
}

impl Window {
    /// `days=N` ending at `end`. Callers pass now or a checked cursor's window end
    /// ([`is_accepted_instant`]); the subtraction is checked all the same, so no input can make
    /// it panic (the window would then start at the epoch).
    pub fn ending_at(end: NaiveDateTime, days: Days, tz: Tz) -> Window {
        Window {
            start: end
                .checked_sub_signed(Duration::hours(24 * i64::from(days.get())))
                .unwrap_or_else(|| earliest_instant().min(end)),
            end,
            span: Span::Days(days),
            tz,
        }
    }

    /// `start`/`end` with the end exclusive. The caller has checked `start < end`.
    pub fn between(start: NaiveDateTime, end_exclusive: NaiveDateTime, tz: Tz) -> Window {
        Window {
            start,
            end: end_exclusive
                .checked_sub_signed(Duration::microseconds(1))
                .unwrap_or(end_exclusive),
            span: Span::Range,
            tz,
        }
    }

    /// The window's length in microseconds (what `avg_daily_messages` divides by).
    pub fn length_micros(&self) -> i64 {
        match self.span {
            Span::Days(days) => i64::from(days.get()) * 24 * 3_600_000_000,
            Span::Range => {
                (self.end - self.start)
                    .num_microseconds()
                    .unwrap_or(i64::MAX)
                    + 1
            }
        }
    }

    /// The instant just after the window. Windows lie within 1970 … now + 1 day (range.rs,
    /// cursor.rs), so this cannot overflow; it is checked all the same, like all date arithmetic
    /// here, so that no input can make it panic.
    pub fn end_exclusive(&self) -> NaiveDateTime {
        self.end
            .checked_add_signed(Duration::microseconds(1))
            .unwrap_or(self.end)
    }

    /// The instant just before the window (checked, as [`Window::end_exclusive`]).
    pub fn before_start(&self) -> NaiveDateTime {
        self.start
            .checked_sub_signed(Duration::microseconds(1))
            .unwrap_or(self.start)
    }

    fn local(&self, t: NaiveDateTime) -> DateTime<Tz> {
        self.tz.from_utc_datetime(&t)
    }

    pub fn start_date(&self) -> NaiveDate {
        self.local(self.start).date_naive()
    }

    pub fn end_date(&self) -> NaiveDate {
        self.local(self.end).date_naive()
    }

    pub fn date_range(&self) -> DateRange {
        let (window_end, window_end_inclusive) = match self.span {
            Span::Days(_) => (self.end, true),
            Span::Range => (self.end_exclusive(), false),
        };
        DateRange {
            start_date: self.start_date(),
            end_date: self.end_date(),
            window_start: format_timestamp(self.start),
            window_end: format_timestamp(window_end),
            window_end_inclusive,
            time_zone: self.tz.name().to_string(),
        }
    }

    /// Whether the window covers only part of `bucket`, as of `now`: a first bucket that starts
    /// before the window, or a last one that goes on past the window's end or past now (the
    /// current hour, day or week).
    pub fn is_partial(&self, bucket: &Bucket, now: NaiveDateTime) -> bool {
        let covered_until = self.end.min(now) + Duration::microseconds(1);
        bucket.start < self.start || bucket.end > covered_until
    }

    /// [`Window::is_partial`] for each of `buckets`, in order.
    pub fn partial_flags(&self, buckets: &[Bucket], now: NaiveDateTime) -> Vec<bool> {
        buckets.iter().map(|b| self.is_partial(b, now)).collect()
    }

    /// The buckets of `granularity` that cover the window, oldest first, in its time zone.
    pub fn buckets(&self, granularity: Granularity) -> Vec<Bucket> {
        let mut buckets = Vec::new();
        let mut from = bucket_start(self.tz, self.start, granularity);
        while from <= self.end {
            // Only at the end of chrono's calendar is there no next bucket.
            let Some(to) = next_bucket_start(self.tz, from, granularity) else {
                break;
            };
            buckets.push(Bucket {
                start: from,
                end: to,
                tz: self.tz,
            });
            from = to;
        }
        buckets
    }
}

/// The dates a response covers, and the exact instants of its window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DateRange {
    /// Date of the window's start, in `time_zone` (for `days=N`: the date of now − N days).
    #[schema(example = "2024-11-28")]
    pub start_date: NaiveDate,
    /// Date of the window's end, in `time_zone` (for `days=N`: today's date).
    #[schema(example = "2024-12-05")]
    pub end_date: NaiveDate,
    /// Exact start of the window, inclusive (RFC 3339, UTC).
    #[schema(example = "2024-11-28T14:30:00Z")]
    pub window_start: String,
    /// Exact end of the window (RFC 3339, UTC): inclusive for `days`, exclusive for `end`.
    #[schema(example = "2024-12-05T14:30:00Z")]
    pub window_end: String,
    /// Whether `window_end` itself is inside the window.
    #[schema(example = true)]
    pub window_end_inclusive: bool,
    /// The IANA time zone of the dates and buckets (`tz`, default UTC).
    #[schema(example = "UTC")]
    pub time_zone: String,
}

/// An instant as microseconds since the epoch: how the rollup and cursors hold instants.
pub fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The instant `us` microseconds after the epoch, when chrono can represent it.
pub fn checked_from_micros(us: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.naive_utc())
}

/// RFC 3339 in UTC with a `Z`, keeping milliseconds (or microseconds) only when present.
pub fn format_timestamp(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// How a time series is divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    Hour,
    #[default]
    Day,
    Week,
}

impl Granularity {
    pub const NAMES: [&'static str; 3] = ["hour", "day", "week"];

    /// The name the API uses for it (`hour`, `day`, `week`).
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
        }
    }

    pub fn parse(raw: &str) -> Result<Granularity, String> {
        match raw.trim() {
            "hour" => Ok(Granularity::Hour),
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            other => Err(format!("must be one of hour, day, week (got {other:?})")),
        }
    }
}

/// One bucket of a series: `[start, end)` in UTC, labelled in its time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub tz: Tz,
}

impl Bucket {
    /// The calendar date the bucket starts on, in its time zone.
    pub fn date(&self) -> NaiveDate {
        self.tz.from_utc_datetime(&self.start).date_naive()
    }

    /// The bucket's start as RFC 3339 with its local offset, e.g. `2024-03-10T00:00:00-05:00`.
    pub fn start_label(&self) -> String {
        self.tz
            .from_utc_datetime(&self.start)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

/// The UTC instant the bucket containing `t` starts at, in `tz`'s calendar.
fn bucket_start(tz: Tz, t: NaiveDateTime, granularity: Granularity) -> NaiveDateTime {
    let local = tz.from_utc_datetime(&t);
    match granularity {
        // The local hour's start keeps the offset in force at `t` (so the repeated hour of a
        // DST fall-back is two buckets), also in zones offset by half hours.
        Granularity::Hour => {
            let into_hour = Duration::seconds(i64::from(local.minute() * 60 + local.second()))
                + Duration::nanoseconds(i64::from(local.nanosecond()));
            t.checked_sub_signed(into_hour).unwrap_or(t)
        }
        Granularity::Day => local_midnight(tz, local.date_naive()),
        Granularity::Week => {
            let date = local.date_naive();
            let back = Duration::days(i64::from(date.weekday().num_days_from_monday()));
            local_midnight(tz, date.checked_sub_signed(back).unwrap_or(date))
        }
    }
}

/// The start of the bucket after the one starting at `start`; `None` past chrono's calendar.
fn next_bucket_start(
    tz: Tz,
    start: NaiveDateTime,
    granularity: Granularity,
) -> Option<NaiveDateTime> {
    let date = tz.from_utc_datetime(&start).date_naive();
    match granularity {
        Granularity::Hour => start.checked_add_signed(Duration::hours(1)),
        Granularity::Day => date
            .checked_add_signed(Duration::days(1))
            .map(|d| local_midnight(tz, d)),
        Granularity::Week => date
            .checked_add_signed(Duration::days(7))
            .map(|d| local_midnight(tz, d)),
    }
}

/// The UTC instant a local date begins: midnight, or where a DST gap skips midnight, the first
/// local time that exists that day.
fn local_midnight(tz: Tz, date: NaiveDate) -> NaiveDateTime {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..=24 * 4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.naive_utc();
        }
        match local.checked_add_signed(Duration::minutes(15)) {
            Some(next) => local = next,
            None => break,
        }
    }
    // No zone skips a whole day's worth of quarter hours; fall back to UTC midnight.
    date.and_hms_opt(0, 0, 0).unwrap_or_default()
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

    fn utc_days(w: &Window) -> Vec<NaiveDate> {
        w.buckets(Granularity::Day)
            .iter()
            .map(Bucket::date)
            .collect()
    }

    #[test]
    fn seven_days_on_december_fifth_spans_november_28th_to_december_5th() {
        let w = Window::ending_at(
            at("2024-12-05 14:30:00"),
            Days::parse("7").unwrap(),
            Tz::UTC,
        );
        assert_eq!(w.start, at("2024-11-28 14:30:00"));
        assert_eq!(w.start_date(), date("2024-11-28"));
        assert_eq!(w.end_date(), date("2024-12-05"));
        let days = utc_days(&w);
        assert_eq!(days.len(), 8);
        assert_eq!(days[0], date("2024-11-28"));
        assert_eq!(days[7], date("2024-12-05"));
    }

    #[test]
    fn window_across_a_month_and_year_end_lists_every_date_once() {
        let w = Window::ending_at(
            at("2025-01-03 00:00:00"),
            Days::parse("20").unwrap(),
            Tz::UTC,
        );
        let dates = utc_days(&w);
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

    #[test]
    fn a_day_across_the_spring_dst_change_is_23_hours_long() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2024-03-10: clocks jump from 02:00 to 03:00 local.
        let w = Window::between(at("2024-03-09 05:00:00"), at("2024-03-12 04:00:00"), tz);
        let buckets = w.buckets(Granularity::Day);
        let lengths: Vec<i64> = buckets
            .iter()
            .map(|b| (b.end - b.start).num_hours())
            .collect();
        assert_eq!(lengths, [24, 23, 24]);
        assert_eq!(buckets[1].date(), date("2024-03-10"));
        assert_eq!(buckets[1].start_label(), "2024-03-10T00:00:00-05:00");
        assert_eq!(buckets[2].start_label(), "2024-03-11T00:00:00-04:00");
    }

    #[test]
    fn the_repeated_hour_of_a_fall_back_is_two_buckets() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2024-10-27: 03:00 CEST becomes 02:00 CET; local 02:xx happens twice.
        let w = Window::between(at("2024-10-26 23:00:00"), at("2024-10-27 03:00:00"), tz);
        let labels: Vec<String> = w
            .buckets(Granularity::Hour)
            .iter()
            .map(Bucket::start_label)
            .collect();
        assert_eq!(
            labels,
            [
                "2024-10-27T01:00:00+02:00",
                "2024-10-27T02:00:00+02:00",
                "2024-10-27T02:00:00+01:00",
                "2024-10-27T03:00:00+01:00"
            ]
        );
    }

    #[test]
    fn half_hour_zones_bucket_on_their_own_hours() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap(); // UTC+05:30
        let w = Window::between(at("2024-12-05 00:00:00"), at("2024-12-05 02:00:00"), tz);
        let buckets = w.buckets(Granularity::Hour);
        assert_eq!(buckets[0].start, at("2024-12-04 23:30:00"));
        assert_eq!(buckets[0].start_label(), "2024-12-05T05:00:00+05:30");
        assert_eq!(buckets.len(), 3);
    }

    #[test]
    fn the_current_day_and_a_first_day_started_midway_are_partial() {
        let now = at("2024-12-05 14:30:00");
        let w = Window::ending_at(now, Days::parse("2").unwrap(), Tz::UTC);
        let partial: Vec<bool> = w
            .buckets(Granularity::Day)
            .iter()
            .map(|b| w.is_partial(b, now))
            .collect();
        // 12-03 from 14:30 on, 12-04 whole, 12-05 until 14:30.
        assert_eq!(partial, [true, false, true]);
        // Whole past days of a range are complete; its last day is partial while it is today.
        let range = Window::between(
            at("2024-12-03 00:00:00"),
            at("2024-12-05 00:00:00"),
            Tz::UTC,
        );
        let flags = |now| -> Vec<bool> {
            range
                .buckets(Granularity::Day)
                .iter()
                .map(|b| range.is_partial(b, now))
                .collect()
        };
        assert_eq!(flags(now), [false, false]);
        assert_eq!(flags(at("2024-12-04 10:00:00")), [false, true]);
    }

    #[test]
    fn weeks_start_on_monday_in_the_zone() {
        let w = Window::between(
            at("2024-12-04 00:00:00"),
            at("2024-12-17 00:00:00"),
            Tz::UTC,
        );
        let starts: Vec<NaiveDate> = w
            .buckets(Granularity::Week)
            .iter()
            .map(Bucket::date)
            .collect();
        assert_eq!(
            starts,
            [date("2024-12-02"), date("2024-12-09"), date("2024-12-16")]
        );
    }

    #[test]
    fn range_windows_exclude_their_end() {
        let w = Window::between(
            at("2024-12-01 00:00:00"),
            at("2024-12-08 00:00:00"),
            Tz::UTC,
        );
        assert_eq!(w.end, at("2024-12-07 23:59:59.999999"));
        assert_eq!(w.end_date(), date("2024-12-07"));
        assert_eq!(w.length_micros(), 7 * 24 * 3_600_000_000);
        let range = w.date_range();
        assert_eq!(range.window_end, "2024-12-08T00:00:00Z");
        assert!(!range.window_end_inclusive);
        assert_eq!(utc_days(&w).len(), 7);
    }
}
