//! The threads that may be ready to run, lowest first. A bit per thread: a 10,000-item Map
//! makes 10,000 threads ready at once, which a `BTreeSet` paid for with ~400 instructions
//! each; here an insert sets a bit and the lowest is found a word at a time from the
//! lowest word that can hold one.

#[derive(Debug, Clone, Default)]
pub(crate) struct ReadySet {
    words: Vec<u64>,
    /// No word below this one has a bit set.
    low: usize,
}

impl ReadySet {
    pub fn insert(&mut self, thread: usize) {
        let (word, bit) = (thread / 64, thread % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
        self.low = self.low.min(word);
    }

    /// The lowest thread in the set.
    pub fn first(&mut self) -> Option<usize> {
        while let Some(&w) = self.words.get(self.low) {
            if w != 0 {
                return Some(self.low * 64 + w.trailing_zeros() as usize);
            }
            self.low += 1;
        }
        None
    }

    pub fn remove(&mut self, thread: usize) {
        if let Some(w) = self.words.get_mut(thread / 64) {
            *w &= !(1 << (thread % 64));
        }
    }

    /// The threads in the set, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words
            .iter()
            .enumerate()
            .skip(self.low)
            .flat_map(|(k, &w)| {
                let mut rest = w;
                std::iter::from_fn(move || {
                    (rest != 0).then(|| {
                        let bit = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        k * 64 + bit
                    })
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The same answers as a `BTreeSet` over a pseudo-random mix of inserts and removals.
    #[test]
    fn behaves_as_an_ordered_set() {
        let mut ours = ReadySet::default();
        let mut model = BTreeSet::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let thread = (x % 700) as usize;
            let op = x % 3;
            if op == 0 {
                let first = ours.first();
                assert_eq!(first, model.first().copied());
                if let Some(f) = first {
                    ours.remove(f);
                    model.remove(&f);
                }
            } else if op == 1 {
                ours.remove(thread);
                model.remove(&thread);
            } else {
                ours.insert(thread);
                model.insert(thread);
            }
            assert!(ours.iter().eq(model.iter().copied()));
        }
    }
}
