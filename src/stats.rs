//! The numbers every summary and series endpoint is made of, computed for a window divided into
//! buckets — by the rollup from memory or by one SQL query; both fill these same types.

use serde::Serialize;
use utoipa::ToSchema;

/// Totals of one bucket (or of the whole window).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub requests: i64,
    /// Distinct non-null session ids.
    pub sessions: i64,
    /// Distinct non-null user ids.
    pub users: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// Sum of the rows' `total_tokens` as LiteLLM recorded them.
    pub total_tokens: i64,
    pub cached_prompt_tokens: i64,
    /// USD, from `spend`.
    pub spend: f64,
    pub failed: i64,
    pub cache_hits: i64,
    pub duration: Latency,
    pub ttft: Latency,
}

impl Stats {
    pub fn successful(&self) -> i64 {
        self.requests - self.failed
    }

    /// failed / requests, 4 decimals; None without requests (a rate of nothing is unknown, not 0).
    pub fn error_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| round_to(self.failed as f64 / self.requests as f64, 4))
    }

    /// Spend rounded to the nano-dollar: sums of floating-point costs differ in their last bits
    /// with the order they are added in; this keeps every path's answer identical.
    pub fn spend_usd(&self) -> f64 {
        round_to(self.spend, 9)
    }
}

/// Distribution of a duration in milliseconds. Percentiles are nearest-rank: the p-th
/// percentile of n values is the ⌈p·n⌉-th smallest (so always one of the values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Latency {
    /// Values measured.
    #[schema(example = 1520)]
    pub count: i64,
    #[schema(example = 1834.512)]
    pub avg_ms: Option<f64>,
    #[schema(example = 61.0)]
    pub min_ms: Option<f64>,
    #[schema(example = 15872.0)]
    pub max_ms: Option<f64>,
    #[schema(example = 1204.0)]
    pub p50_ms: Option<f64>,
    #[schema(example = 5120.0)]
    pub p95_ms: Option<f64>,
    #[schema(example = 11020.0)]
    pub p99_ms: Option<f64>,
}

impl Latency {
    /// From durations in microseconds (sorted in place).
    pub fn from_micros(values: &mut [i64]) -> Latency {
        if values.is_empty() {
            return Latency::default();
        }
        values.sort_unstable();
        let n = values.len();
        let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
        let rank = |p: f64| {
            let r = (p * n as f64).ceil() as usize;
            values[r.clamp(1, n) - 1]
        };
        Latency {
            count: n as i64,
            avg_ms: Some(round_to(sum as f64 / n as f64 / 1000.0, 3)),
            min_ms: Some(ms(values[0])),
            max_ms: Some(ms(values[n - 1])),
            p50_ms: Some(ms(rank(0.50))),
            p95_ms: Some(ms(rank(0.95))),
            p99_ms: Some(ms(rank(0.99))),
        }
    }
}

impl Latency {
    /// From sorted runs of durations (microseconds) whose sum is `runs_sum`, plus unsorted
    /// `loose` values (sorted in place): the same figures as [`Latency::from_micros`] over all
    /// of them together, without merging the runs — each percentile is found by bisecting on the
    /// value, counting in every run by binary search. Costs O(runs × log) per figure, not
    /// O(values): a year of days is a year of runs.
    pub fn from_runs(runs: &[&[i64]], runs_sum: i128, loose: &mut [i64]) -> Latency {
        if runs.iter().all(|r| r.is_empty()) {
            return Latency::from_micros(loose);
        }
        loose.sort_unstable();
        let mut all: Vec<&[i64]> = runs.iter().copied().filter(|r| !r.is_empty()).collect();
        if !loose.is_empty() {
            all.push(loose);
        }
        let n: usize = all.iter().map(|r| r.len()).sum();
        let sum = runs_sum + loose.iter().map(|v| i128::from(*v)).sum::<i128>();
        let min = all.iter().map(|r| r[0]).min().unwrap_or_default();
        let max = all.iter().map(|r| r[r.len() - 1]).max().unwrap_or_default();
        // The value at 1-based rank `k`: the least v with at least k values <= v.
        let at_rank = |k: usize| {
            let (mut lo, mut hi) = (min, max);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let le: usize = all.iter().map(|r| r.partition_point(|x| *x <= mid)).sum();
                if le >= k {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        };
        let rank = |p: f64| at_rank(((p * n as f64).ceil() as usize).clamp(1, n));
        Latency {
            count: n as i64,
            avg_ms: Some(round_to(sum as f64 / n as f64 / 1000.0, 3)),
            min_ms: Some(ms(min)),
            max_ms: Some(ms(max)),
            p50_ms: Some(ms(rank(0.50))),
            p95_ms: Some(ms(rank(0.95))),
            p99_ms: Some(ms(rank(0.99))),
        }
    }
}

fn ms(micros: i64) -> f64 {
    round_to(micros as f64 / 1000.0, 3)
}

pub fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// Stats per bucket (same order as the window's buckets) and for the whole window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesStats {
    pub overall: Stats,
    pub buckets: Vec<Stats>,
}

/// A point's verdict against the seven points before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Anomaly {
    Spike,
    Drop,
}

/// Points the baseline needs before any point is judged.
const BASELINE_POINTS: usize = 7;
/// Non-zero baseline points the "any change" rule (MAD = 0) needs: a run of zeros (before a
/// launch, a quiet weekend) is no steady level that every later value departs from.
const MIN_NON_ZERO_FOR_FLAT_RULE: usize = 5;

/// Robust z-score anomalies. Point i is compared with the median m and the median absolute
/// deviation MAD of the 7 complete points before it; z = 0.6745·(x − m)/MAD, and |z| > 3 is a
/// spike (above) or drop (below). When MAD is 0 (most of the 7 points agree), any other value
/// counts as an anomaly, but only when at least 5 of the 7 are non-zero. Partial points (`partial`
/// true: a bucket the window covers only in part) are never flagged and never part of a baseline.
pub fn anomalies(values: &[f64], partial: &[bool]) -> Vec<Option<Anomaly>> {
    let complete = |i: &usize| !partial.get(*i).copied().unwrap_or(false);
    (0..values.len())
        .map(|i| {
            if !complete(&i) {
                return None;
            }
            let mut window: Vec<f64> = (0..i)
                .rev()
                .filter(complete)
                .take(BASELINE_POINTS)
                .map(|j| values[j])
                .collect();
            if window.len() < BASELINE_POINTS {
                return None;
            }
            let non_zero = window.iter().filter(|v| **v != 0.0).count();
            let m = median(&mut window);
            let mut deviations: Vec<f64> = window.iter().map(|v| (v - m).abs()).collect();
            let mad = median(&mut deviations);
            let x = values[i];
            let outlier = if mad == 0.0 {
                non_zero >= MIN_NON_ZERO_FOR_FLAT_RULE && x != m
            } else {
                (0.6745 * (x - m) / mad).abs() > 3.0
            };
            outlier.then_some(if x > m { Anomaly::Spike } else { Anomaly::Drop })
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_sorted_runs_equal_those_over_all_values() {
        // Runs of different lengths with ties across them, negative and huge values, plus loose.
        let runs: Vec<Vec<i64>> = vec![
            vec![-5, 1, 1, 7, 7, 7, 90],
            vec![],
            vec![1, 2, 3],
            vec![7, 8, 3_000_000_000_000],
            (0..1000).map(|i| i * 37 % 1001).collect::<Vec<_>>(),
        ];
        let mut runs: Vec<Vec<i64>> = runs;
        runs.iter_mut().for_each(|r| r.sort_unstable());
        for loose in [vec![], vec![4, -9, 7, 1_000]] {
            let mut all: Vec<i64> = runs
                .iter()
                .flatten()
                .copied()
                .chain(loose.clone())
                .collect();
            let expected = Latency::from_micros(&mut all);
            let refs: Vec<&[i64]> = runs.iter().map(|r| r.as_slice()).collect();
            let sum: i128 = runs.iter().flatten().map(|v| i128::from(*v)).sum();
            let got = Latency::from_runs(&refs, sum, &mut loose.clone());
            assert_eq!(got, expected, "loose {loose:?}");
        }
        assert_eq!(Latency::from_runs(&[&[]], 0, &mut []), Latency::default());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        // 1..=10 ms: p50 = 5th value, p95 = ⌈9.5⌉ = 10th, p99 = 10th.
        let mut values: Vec<i64> = (1..=10).rev().map(|ms| ms * 1000).collect();
        let l = Latency::from_micros(&mut values);
        assert_eq!(l.count, 10);
        assert_eq!(l.p50_ms, Some(5.0));
        assert_eq!(l.p95_ms, Some(10.0));
        assert_eq!(l.p99_ms, Some(10.0));
        assert_eq!(l.avg_ms, Some(5.5));
        assert_eq!((l.min_ms, l.max_ms), (Some(1.0), Some(10.0)));
        let mut one = [1500];
        assert_eq!(Latency::from_micros(&mut one).p99_ms, Some(1.5));
        assert_eq!(Latency::from_micros(&mut []), Latency::default());
    }

    #[test]
    fn a_jump_after_a_steady_week_is_a_spike_and_noise_is_not() {
        let flags = anomalies(&[10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 40.0, 11.0], &[]);
        assert_eq!(flags[7], Some(Anomaly::Spike));
        assert_eq!(flags[8], None);
        assert!(flags[..7].iter().all(Option::is_none));
        let flags = anomalies(&[10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 0.0], &[]);
        assert_eq!(flags[7], Some(Anomaly::Drop));
    }

    #[test]
    fn a_flat_non_zero_week_flags_any_change() {
        let flags = anomalies(&[5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 6.0, 5.0], &[]);
        assert_eq!(flags[7], Some(Anomaly::Spike));
        assert_eq!(flags[8], None);
    }

    #[test]
    fn days_after_a_run_of_zeros_are_not_flagged() {
        // A launch: a week of zeros, then traffic. Each baseline holds at most 4 non-zero
        // points until the 12th day, and from then on MAD is no longer 0.
        let values = [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0, 60.0, 55.0, 58.0, 52.0, 57.0,
        ];
        assert_eq!(anomalies(&values, &[]), vec![None; values.len()]);
        // A failure after a week without any is no "spike" of failures either.
        let failures = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(anomalies(&failures, &[])[7], None);
    }

    #[test]
    fn partial_points_are_neither_flagged_nor_in_a_baseline() {
        // The first day is partial (low), the last one too (early in the day).
        let values = [1.0, 10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 10.0, 2.0];
        let mut partial = [false; 10];
        partial[0] = true;
        partial[9] = true;
        let flags = anomalies(&values, &partial);
        assert_eq!(flags, vec![None; 10]);
        // Without the marks the last day is a drop.
        assert_eq!(anomalies(&values, &[])[9], Some(Anomaly::Drop));
    }

    #[test]
    fn error_rate_and_spend_are_rounded() {
        let s = Stats {
            requests: 3,
            failed: 1,
            spend: 0.1 + 0.2,
            ..Stats::default()
        };
        assert_eq!(s.error_rate(), Some(0.3333));
        assert_eq!(s.spend_usd(), 0.3);
        assert_eq!(Stats::default().error_rate(), None);
    }
}
