//! Opaque keyset cursors for the paged lists.
//!
//! A cursor holds the position of the last row served (`"startTime"`, `request_id`) and the end
//! of the window the listing started with, so that walking the pages lists the same window even
//! while time moves on: every row exactly once, newest first.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime};

use crate::window::Window;

const VERSION: &str = "v1";
/// Longest cursor text we accept; a request_id is a UUID or similar, far below this.
pub const MAX_CURSOR_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// End of the window the first page used.
    pub window_end: NaiveDateTime,
    /// `"startTime"` of the last row served.
    pub start_time: NaiveDateTime,
    /// `request_id` of the last row served.
    pub request_id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let plain = format!(
            "{VERSION}.{}.{}.{}",
            micros(self.window_end),
            micros(self.start_time),
            self.request_id
        );
        URL_SAFE_NO_PAD.encode(plain)
    }

    pub fn decode(text: &str) -> Result<Cursor, String> {
        const HOW: &str = "is not a cursor this API issued; pass next_cursor from the previous \
                           page unchanged, or omit cursor to start from the newest row";
        if text.is_empty() || text.len() > MAX_CURSOR_LEN {
            return Err(HOW.to_string());
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| HOW.to_string())?;
        let plain = String::from_utf8(bytes).map_err(|_| HOW.to_string())?;
        let mut parts = plain.splitn(4, '.');
        let (Some(VERSION), Some(end), Some(start), Some(request_id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HOW.to_string());
        };
        let window_end = from_micros(end).ok_or_else(|| HOW.to_string())?;
        let start_time = from_micros(start).ok_or_else(|| HOW.to_string())?;
        // A row served from a window cannot be newer than the window's end, and Postgres text
        // cannot hold NUL: either means the cursor was made up or damaged.
        if start_time > window_end || request_id.contains('\0') {
            return Err(HOW.to_string());
        }
        Ok(Cursor {
            window_end,
            start_time,
            request_id: request_id.to_string(),
        })
    }
}

/// Splits off the one extra row a list fetches beyond `limit`: when it is there, another page
/// follows, and the cursor points after the last row kept. So `next_cursor` is null exactly on
/// the last page, without counting rows.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    window: &Window,
    position: impl Fn(&T) -> (NaiveDateTime, String),
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|last| {
        let (start_time, request_id) = position(last);
        Cursor {
            window_end: window.end,
            start_time,
            request_id,
        }
        .encode()
    });
    (rows, next)
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

fn from_micros(text: &str) -> Option<NaiveDateTime> {
    let n: i64 = text.parse().ok()?;
    DateTime::from_timestamp_micros(n).map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn sample() -> Cursor {
        Cursor {
            window_end: at("2024-12-05 14:30:00.123456"),
            start_time: at("2024-12-05 09:15:30.250"),
            request_id: "chatcmpl-1.2.3/ü".to_string(),
        }
    }

    #[test]
    fn cursor_round_trips_with_dots_and_unicode_in_the_request_id() {
        let c = sample();
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn encoded_cursor_is_url_safe() {
        let text = sample().encode();
        assert!(text
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
    }

    #[test]
    fn page_with_the_extra_row_gets_a_cursor_after_its_last_kept_row() {
        let window = Window::ending_at(
            at("2024-12-05 14:30:00"),
            crate::window::Days::parse("1").unwrap(),
            chrono_tz::Tz::UTC,
        );
        let rows: Vec<(NaiveDateTime, String)> = ["c", "b", "a"]
            .iter()
            .map(|id| (at("2024-12-05 10:00:00"), id.to_string()))
            .collect();
        let (page, next) = split_page(rows.clone(), 2, &window, |r| r.clone());
        assert_eq!(page.len(), 2);
        let cursor = Cursor::decode(&next.unwrap()).unwrap();
        assert_eq!(cursor.request_id, "b");
        assert_eq!(cursor.window_end, window.end);

        let (page, next) = split_page(rows, 3, &window, |r| r.clone());
        assert_eq!(page.len(), 3);
        assert!(next.is_none());
    }

    #[test]
    fn garbage_and_tampered_cursors_are_rejected() {
        let bad_plain = [
            "v2.1.1.x",
            "v1.abc.1.x",
            "v1.1.2.x", // row newer than the window end
            "v1.1.1",   // missing request id
            "v1.1.1.a\0b",
        ];
        for plain in bad_plain {
            assert!(
                Cursor::decode(&URL_SAFE_NO_PAD.encode(plain)).is_err(),
                "{plain}"
            );
        }
        for text in [
            "",
            "!!!",
            "not base64 at all",
            &"A".repeat(MAX_CURSOR_LEN + 1),
        ] {
            assert!(Cursor::decode(text).is_err(), "{text}");
        }
    }
}
