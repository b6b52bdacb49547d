//! One request as the rollup keeps it, and running totals of requests: the vocabulary the store
//! (store.rs) and compacted days (compacted.rs) share.

pub const MICROS_PER_HOUR: i64 = 3_600_000_000;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
/// Id of a missing value (NULL in the database).
pub(super) const NONE: u32 = u32::MAX;
/// A duration that was not measured.
pub(super) const NO_DURATION: i64 = i64::MIN;

pub(super) const FAILED: u8 = 1;
pub(super) const CACHE_HIT: u8 = 2;
pub(super) const HAS_TOOLS: u8 = 4;
pub(super) const HAS_REPLY: u8 = 8;

/// One request of one agent+version: 72 bytes, plus its request_id in the day's arena.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rec {
    pub ts: i64,
    pub spend: f64,
    /// Microseconds, or [`NO_DURATION`].
    pub duration_us: i64,
    pub ttft_us: i64,
    pub prompt: i32,
    pub completion: i32,
    pub total: i32,
    pub cached: i32,
    pub session: u32,
    pub user: u32,
    /// Where the request_id sits in `Day::ids`.
    pub id_at: u32,
    pub id_len: u16,
    pub model: u16,
    pub flags: u8,
}

impl Rec {
    pub fn is(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Running totals of a set of records (a day, or any part of one).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Totals {
    pub requests: i64,
    pub prompt: i64,
    pub completion: i64,
    pub total: i64,
    pub cached: i64,
    pub spend: f64,
    pub failed: i64,
    pub cache_hits: i64,
}

impl Totals {
    pub fn add(&mut self, r: &Rec) {
        self.requests += 1;
        self.prompt += i64::from(r.prompt);
        self.completion += i64::from(r.completion);
        self.total += i64::from(r.total);
        self.cached += i64::from(r.cached);
        self.spend += r.spend;
        self.failed += i64::from(r.is(FAILED));
        self.cache_hits += i64::from(r.is(CACHE_HIT));
    }

    pub fn merge(&mut self, other: &Totals) {
        self.requests += other.requests;
        self.prompt += other.prompt;
        self.completion += other.completion;
        self.total += other.total;
        self.cached += other.cached;
        self.spend += other.spend;
        self.failed += other.failed;
        self.cache_hits += other.cache_hits;
    }
}
