//! Per-id accumulators for the rankings: indexed by the series' interned ids, not hashed by
//! string, so aggregating a window costs array lookups and no allocation per record.

/// Accumulators indexed by interned id: `slot[id]` says where id's accumulator sits in `accs`
/// (in first-seen order), so a ranking touches each record once with two array lookups and
/// allocates nothing per record. `slot` costs 4 bytes per id the series has interned.
pub(super) struct ByInternedId<T> {
    slot: Vec<u32>,
    accs: Vec<(u32, T)>,
}

impl<T> ByInternedId<T> {
    const EMPTY: u32 = u32::MAX;

    /// Room for `ids` ids, `expected` of them seen.
    pub fn new(ids: usize, expected: usize) -> ByInternedId<T> {
        ByInternedId {
            slot: vec![Self::EMPTY; ids],
            accs: Vec::with_capacity(expected.min(ids)),
        }
    }

    pub fn entry(&mut self, id: u32, new: impl FnOnce() -> T) -> &mut T {
        let at = id as usize;
        if at >= self.slot.len() {
            // Ids come from the series' interner, so this only guards against a logic slip.
            self.slot.resize(at + 1, Self::EMPTY);
        }
        if self.slot[at] == Self::EMPTY {
            self.slot[at] = self.accs.len() as u32;
            self.accs.push((id, new()));
        }
        let index = self.slot[at] as usize;
        &mut self.accs[index].1
    }

    pub fn into_entries(self) -> impl Iterator<Item = (u32, T)> {
        self.accs.into_iter()
    }
}

/// The distinct models of a session: a bit per model id below 64 (an agent rarely uses more),
/// the rest in a short list, so a session needs no allocation of its own.
#[derive(Default)]
pub(super) struct ModelSet {
    low: u64,
    high: Vec<u16>,
}

impl ModelSet {
    pub fn insert(&mut self, model: u16) {
        if model < 64 {
            self.low |= 1 << model;
        } else if !self.high.contains(&model) {
            self.high.push(model);
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        (0..64u16)
            .filter(|m| self.low & (1 << m) != 0)
            .chain(self.high.iter().copied())
    }
}
