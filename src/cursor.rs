//! Opaque keyset cursors for the paged lists.
//!
//! A cursor holds the position of the last row served (`"startTime"`, `request_id`) and the end
//! of the window the listing started with, so that walking the pages lists the same window even
//! while time moves on: every row exactly once, newest first.
//!
//! Cursors are signed (HMAC-SHA256, see [`seal`]): the service only ever reads back positions it
//! wrote itself, so a made-up cursor is a 422, never a date computation on chosen values.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::window::{checked_from_micros, is_accepted_instant, micros, Window};

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

/// Why a cursor is refused. With several replicas, a cursor signed by another pod is refused too
/// unless they share `CURSOR_SECRET` (docs/security.md).
pub const NOT_ISSUED_HERE: &str = "is not a cursor this API issued (or it was issued by an \
     instance with another CURSOR_SECRET, or before a restart without one); pass next_cursor \
     from the previous page unchanged, or omit cursor to start again from the first page";

impl Cursor {
    pub fn encode(&self) -> String {
        seal(&format!(
            "{VERSION}.{}.{}.{}",
            micros(self.window_end),
            micros(self.start_time),
            self.request_id
        ))
    }

    pub fn decode(text: &str) -> Result<Cursor, String> {
        const HOW: &str = NOT_ISSUED_HERE;
        let plain = unseal(text).ok_or_else(|| HOW.to_string())?;
        let mut parts = plain.splitn(4, '.');
        let (Some(VERSION), Some(end), Some(start), Some(request_id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HOW.to_string());
        };
        let window_end = parse_micros(end).ok_or_else(|| HOW.to_string())?;
        let start_time = parse_micros(start).ok_or_else(|| HOW.to_string())?;
        // A row served from a window cannot be newer than the window's end, and Postgres text
        // cannot hold NUL: either means the cursor was made up or damaged.
        if start_time > window_end
            || request_id.contains('\0')
            || !is_accepted_instant(window_end)
            || !is_accepted_instant(start_time)
        {
            return Err(HOW.to_string());
        }
        Ok(Cursor {
            window_end,
            start_time,
            request_id: request_id.to_string(),
        })
    }
}

/// The HMAC-SHA256 key cursors are signed with: `CURSOR_SECRET` when configured (shared by all
/// replicas, so a cursor from one pod is honoured by another), else a random key made once per
/// process.
static SECRET: OnceLock<Vec<u8>> = OnceLock::new();

/// Bytes of the signature appended to every cursor.
const TAG_LEN: usize = 32;

/// Fixes the signing key from `CURSOR_SECRET`. Only the first call counts (one key per process);
/// without a call, the first cursor signed or checked makes a random key.
pub fn install_secret(secret: Option<&str>) {
    if let Some(secret) = secret {
        let _ = SECRET.set(secret.as_bytes().to_vec());
    }
}

/// The signing key; a random one when none was installed. Two v4 UUIDs give 244 bits from the
/// operating system's CSPRNG (uuid reads it through getrandom), without another crate.
fn secret() -> &'static [u8] {
    SECRET.get_or_init(|| {
        let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        key
    })
}

fn mac_of(plain: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(plain);
    mac
}

/// `plain` with its HMAC-SHA256 appended, as URL-safe base64: opaque, and any change to it is
/// detected by [`unseal`].
pub fn seal(plain: &str) -> String {
    let mut bytes = plain.as_bytes().to_vec();
    bytes.extend_from_slice(&mac_of(plain.as_bytes()).finalize().into_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The text [`seal`] signed, if `text` is exactly what this process (or a replica with the same
/// `CURSOR_SECRET`) issued; the signature is checked in constant time.
pub fn unseal(text: &str) -> Option<String> {
    if text.is_empty() || text.len() > MAX_CURSOR_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    let split = bytes.len().checked_sub(TAG_LEN)?;
    let (plain, tag) = bytes.split_at(split);
    mac_of(plain).verify_slice(tag).ok()?;
    String::from_utf8(plain.to_vec()).ok()
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

/// An instant written by [`micros`] into a cursor.
fn parse_micros(text: &str) -> Option<NaiveDateTime> {
    checked_from_micros(text.parse().ok()?)
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
            assert!(Cursor::decode(&seal(plain)).is_err(), "{plain}");
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

    #[test]
    fn unsigned_and_altered_cursors_are_refused() {
        let c = sample();
        let plain = format!(
            "v1.{}.{}.{}",
            micros(c.window_end),
            micros(c.start_time),
            c.request_id
        );
        // The old unsigned form, and the signed form with one character changed anywhere.
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(&plain)).is_err());
        let good = c.encode();
        for i in 0..good.len() {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            assert!(Cursor::decode(&altered).is_err(), "position {i}");
        }
    }

    #[test]
    fn signed_cursors_with_windows_near_the_calendar_limits_are_refused() {
        // What a forged cursor carried in the attack run: a window end days after chrono's
        // minimum date (a 20-day window from there overflowed), and one far in the future.
        let min = NaiveDateTime::MIN.and_utc().timestamp_micros();
        for end in [
            min + 2 * 86_400_000_000,
            min + 19 * 86_400_000_000,
            0,
            i64::MAX / 2,
        ] {
            let plain = format!("v1.{end}.{min}.x");
            assert!(Cursor::decode(&seal(&plain)).is_err(), "{end}");
        }
    }
}
