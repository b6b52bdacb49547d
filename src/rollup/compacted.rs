//! What a day older than the row horizon keeps instead of one record per request: per UTC hour
//! its totals, first and last request and distinct session/user sets, and the day's latencies
//! sorted (each tagged with its hour). That answers every summary of a window made of whole
//! hours exactly, in a tenth of the memory; a window or bucket edge inside such an hour is left
//! to SQL (see `Store::stats`).

use roaring::{MultiOps, RoaringBitmap};

use super::record::{Rec, Totals, MICROS_PER_HOUR, NONE, NO_DURATION};

/// One UTC hour of a compacted day.
#[derive(Debug, Clone, Default)]
pub(super) struct HourTotals {
    /// Hour of the day, 0–23.
    pub hour: u8,
    pub totals: Totals,
    /// startTime of the first and last request.
    pub first: i64,
    pub last: i64,
    pub sessions: RoaringBitmap,
    pub users: RoaringBitmap,
}

impl HourTotals {
    fn new(hour: u8) -> HourTotals {
        HourTotals {
            hour,
            first: i64::MAX,
            last: i64::MIN,
            ..HourTotals::default()
        }
    }

    fn add(&mut self, r: &Rec) {
        self.totals.add(r);
        self.first = self.first.min(r.ts);
        self.last = self.last.max(r.ts);
        if r.session != NONE {
            self.sessions.insert(r.session);
        }
        if r.user != NONE {
            self.users.insert(r.user);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.sessions.serialized_size() + self.users.serialized_size()
    }
}

/// A day's measured latencies in microseconds, ascending, with the hour of each.
#[derive(Debug, Clone, Default)]
pub(super) struct Distribution {
    pub values: Vec<i64>,
    hours: Vec<u8>,
    /// Sum of `values` (for the average without reading them).
    pub sum: i128,
}

impl Distribution {
    /// Adds values, keeping them sorted (ties in any order: only the values are ever read).
    fn extend(&mut self, added: impl Iterator<Item = (i64, u8)>) {
        let mut pairs: Vec<(i64, u8)> = self
            .values
            .iter()
            .copied()
            .zip(self.hours.iter().copied())
            .chain(added)
            .collect();
        pairs.sort_unstable();
        self.set(pairs);
    }

    fn set(&mut self, pairs: Vec<(i64, u8)>) {
        self.values = pairs.iter().map(|(v, _)| *v).collect();
        self.hours = pairs.iter().map(|(_, h)| *h).collect();
        self.sum = self.values.iter().map(|v| i128::from(*v)).sum();
    }

    /// Only the values of the hours `keep` accepts.
    fn retain_hours(&mut self, keep: impl Fn(u8) -> bool) {
        let pairs: Vec<(i64, u8)> = self
            .values
            .iter()
            .copied()
            .zip(self.hours.iter().copied())
            .filter(|(_, h)| keep(*h))
            .collect();
        self.set(pairs);
    }

    /// The values of hours `from..=to`, ascending.
    pub fn of_hours(&self, from: u8, to: u8) -> Vec<i64> {
        self.values
            .iter()
            .zip(&self.hours)
            .filter(|(_, h)| (from..=to).contains(*h))
            .map(|(v, _)| *v)
            .collect()
    }

    pub fn heap_bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<i64>() + self.hours.capacity()
    }
}

/// A compacted day's hours (ascending, only those with requests) and latencies.
#[derive(Debug, Clone, Default)]
pub(super) struct Compacted {
    pub hours: Vec<HourTotals>,
    pub durations: Distribution,
    pub ttfts: Distribution,
}

impl Compacted {
    /// Folds records (of this day) in.
    pub fn add(&mut self, day_start: i64, rows: &[Rec]) {
        for r in rows {
            let hour = hour_in_day(day_start, r.ts);
            let at = match self.hours.binary_search_by_key(&hour, |h| h.hour) {
                Ok(at) => at,
                Err(at) => {
                    self.hours.insert(at, HourTotals::new(hour));
                    at
                }
            };
            self.hours[at].add(r);
        }
        self.durations
            .extend(measured(day_start, rows, |r| r.duration_us));
        self.ttfts.extend(measured(day_start, rows, |r| r.ttft_us));
        self.hours.shrink_to_fit();
    }

    /// Drops the hours whose start is in `[from, to)`.
    pub fn remove_hours(&mut self, day_start: i64, from: i64, to: i64) {
        let dropped = |hour: u8| {
            let start = day_start + i64::from(hour) * MICROS_PER_HOUR;
            start >= from && start < to
        };
        self.hours.retain(|h| !dropped(h.hour));
        self.durations.retain_hours(|h| !dropped(h));
        self.ttfts.retain_hours(|h| !dropped(h));
    }

    /// The day's totals and distinct sets, from its hours.
    pub fn day_totals(&self) -> (Totals, RoaringBitmap, RoaringBitmap) {
        let mut totals = Totals::default();
        self.hours.iter().for_each(|h| totals.merge(&h.totals));
        let sessions = self.hours.iter().map(|h| &h.sessions).union();
        let users = self.hours.iter().map(|h| &h.users).union();
        (totals, sessions, users)
    }

    /// Renumbers session or user ids after the interner was compacted.
    pub fn remap(&mut self, sessions: bool, remap: impl Fn(u32) -> u32) {
        for h in &mut self.hours {
            let set = if sessions {
                &mut h.sessions
            } else {
                &mut h.users
            };
            *set = set.iter().map(&remap).filter(|id| *id != NONE).collect();
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.hours.capacity() * std::mem::size_of::<HourTotals>()
            + self.hours.iter().map(HourTotals::heap_bytes).sum::<usize>()
            + self.durations.heap_bytes()
            + self.ttfts.heap_bytes()
    }
}

/// The values `pick` reads from `rows` (those measured), each with its hour of the day.
fn measured(
    day_start: i64,
    rows: &[Rec],
    pick: fn(&Rec) -> i64,
) -> impl Iterator<Item = (i64, u8)> + '_ {
    rows.iter()
        .filter(move |r| pick(r) != NO_DURATION)
        .map(move |r| (pick(r), hour_in_day(day_start, r.ts)))
}

/// The hour of the day (0–23) of `ts`, in the day starting at `day_start`.
pub(super) fn hour_in_day(day_start: i64, ts: i64) -> u8 {
    ((ts - day_start).div_euclid(MICROS_PER_HOUR)).clamp(0, 23) as u8
}
