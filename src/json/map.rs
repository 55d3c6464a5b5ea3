//! A JSON object: its members in order, in one vector. Small objects (most of what a state
//! machine passes around) are searched in order; from [`INDEXED_FROM`] members on, a hash
//! index of the member names keeps lookups constant-time, so a 10,000-member object is not
//! quadratic to build. The API is `serde_json::Map`'s (with `preserve_order`; names are
//! [`Str`]s), behaviour included: `insert` of a name already there keeps its place,
//! `remove` is `swap_remove`, and two objects are equal when they have the same members in
//! any order.

use super::{Str, Value};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::fmt;
use std::hash::BuildHasher;

/// From this many members on, an object keeps a hash index of its names.
const INDEXED_FROM: usize = 12;

/// Member names to their places; only for objects of [`INDEXED_FROM`] members or more.
#[derive(Clone)]
struct NameIndex {
    table: HashTable<usize>,
    hasher: RandomState,
}

pub struct Map {
    entries: Vec<(Str, Value)>,
    index: Option<Box<NameIndex>>,
}

impl Default for Map {
    fn default() -> Self {
        Map::new()
    }
}

impl Clone for Map {
    fn clone(&self) -> Self {
        Map {
            entries: self.entries.clone(),
            index: self.index.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.entries.clone_from(&source.entries);
        self.index.clone_from(&source.index);
    }
}

impl NameIndex {
    fn of(entries: &[(Str, Value)]) -> Box<NameIndex> {
        let mut index = Box::new(NameIndex {
            table: HashTable::with_capacity(entries.len()),
            hasher: RandomState::default(),
        });
        for (i, (name, _)) in entries.iter().enumerate() {
            index.add(entries, name, i);
        }
        index
    }

    fn hash(&self, name: &str) -> u64 {
        self.hasher.hash_one(name)
    }

    fn find(&self, entries: &[(Str, Value)], name: &str) -> Option<usize> {
        self.table
            .find(self.hash(name), |&i| entries[i].0 == name)
            .copied()
    }

    fn add(&mut self, entries: &[(Str, Value)], name: &str, at: usize) {
        let hasher = &self.hasher;
        self.table.insert_unique(hasher.hash_one(name), at, |&i| {
            hasher.hash_one(entries[i].0.as_str())
        });
    }

    /// Entry `at` (named `name`) is gone; the entry that was last (`moved_from`) is now
    /// at `at`, unless `at` was the last.
    fn remove_swapped(&mut self, entries: &[(Str, Value)], name: &str, at: usize) {
        let moved_from = entries.len();
        if let Ok(slot) = self.table.find_entry(self.hash(name), |&i| i == at) {
            slot.remove();
        }
        if at < moved_from {
            let moved = entries[at].0.as_str();
            if let Some(slot) = self.table.find_mut(self.hash(moved), |&i| i == moved_from) {
                *slot = at;
            }
        }
    }
}

/// `a == b`, for member names: those up to 16 bytes (most) compared in place (as two
/// overlapping words, or half-words, or byte by byte under 4), not by a call to `memcmp`.
pub(crate) fn same_name(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
    };
    let half = |bytes: &[u8], at: usize| {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
    };
    match len {
        0 => true,
        // Each byte of one, two or three, some twice.
        1..4 => a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1],
        4..8 => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        _ => a == b,
    }
}

impl Map {
    pub fn new() -> Self {
        Map {
            entries: Vec::new(),
            index: None,
        }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Map {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.index = None;
    }

    #[inline]
    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.find(&self.entries, name),
            None => self.entries.iter().position(|(k, _)| k == name),
        }
    }

    /// Builds or drops the index after the members changed other than one at a time.
    fn reindex(&mut self) {
        self.index = (self.entries.len() >= INDEXED_FROM).then(|| NameIndex::of(&self.entries));
    }

    /// Appends a member whose name is not there yet.
    fn push_new(&mut self, name: Str, value: Value) -> usize {
        let at = self.entries.len();
        self.entries.push((name, value));
        match &mut self.index {
            Some(index) => index.add(&self.entries, &self.entries[at].0, at),
            None if self.entries.len() >= INDEXED_FROM => self.reindex(),
            None => {}
        }
        at
    }

    #[inline]
    pub fn get<Q>(&self, name: &Q) -> Option<&Value>
    where
        Q: ?Sized + AsRef<str>,
    {
        self.position(name.as_ref()).map(|i| &self.entries[i].1)
    }

    #[inline]
    pub fn get_mut<Q>(&mut self, name: &Q) -> Option<&mut Value>
    where
        Q: ?Sized + AsRef<str>,
    {
        self.position(name.as_ref()).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q>(&self, name: &Q) -> bool
    where
        Q: ?Sized + AsRef<str>,
    {
        self.position(name.as_ref()).is_some()
    }

    /// Sets a member: a name already there keeps its place and gets the new value (the old
    /// one is returned); a new name goes last.
    pub fn insert(&mut self, name: impl Into<Str>, value: Value) -> Option<Value> {
        let name = name.into();
        match self.position(&name) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.push_new(name, value);
                None
            }
        }
    }

    /// As `serde_json`'s with `preserve_order`: [`Map::swap_remove`].
    pub fn remove<Q>(&mut self, name: &Q) -> Option<Value>
    where
        Q: ?Sized + AsRef<str>,
    {
        self.swap_remove(name)
    }

    /// Removes a member, the last member taking its place.
    pub fn swap_remove<Q>(&mut self, name: &Q) -> Option<Value>
    where
        Q: ?Sized + AsRef<str>,
    {
        let at = self.position(name.as_ref())?;
        Some(self.swap_remove_at(at).1)
    }

    fn swap_remove_at(&mut self, at: usize) -> (Str, Value) {
        let removed = self.entries.swap_remove(at);
        if let Some(index) = &mut self.index {
            index.remove_swapped(&self.entries, &removed.0, at);
        }
        removed
    }

    /// Removes a member, the members after it moving up one place.
    pub fn shift_remove<Q>(&mut self, name: &Q) -> Option<Value>
    where
        Q: ?Sized + AsRef<str>,
    {
        let at = self.position(name.as_ref())?;
        Some(self.shift_remove_at(at).1)
    }

    fn shift_remove_at(&mut self, at: usize) -> (Str, Value) {
        let removed = self.entries.remove(at);
        if self.index.is_some() {
            self.reindex();
        }
        removed
    }

    /// Moves all of `other`'s members into this object (as `insert` each), leaving it
    /// empty.
    pub fn append(&mut self, other: &mut Self) {
        self.entries.reserve(other.len());
        for (k, v) in std::mem::take(&mut other.entries) {
            self.insert(k, v);
        }
        other.index = None;
    }

    pub fn entry<S: Into<Str>>(&mut self, name: S) -> Entry<'_> {
        let name = name.into();
        match self.position(&name) {
            Some(at) => Entry::Occupied(OccupiedEntry { map: self, at }),
            None => Entry::Vacant(VacantEntry { map: self, name }),
        }
    }

    pub fn retain<F: FnMut(&Str, &mut Value) -> bool>(&mut self, mut keep: F) {
        let before = self.entries.len();
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.entries.len() != before && self.index.is_some() {
            self.reindex();
        }
    }

    pub fn sort_keys(&mut self) {
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        if self.index.is_some() {
            self.reindex();
        }
    }

    /// An object of this one's names, in order (distinct, as they are here), with the
    /// values `value` gives each place: no name is compared or hashed again.
    pub(crate) fn with_names_of<E>(
        &self,
        mut value: impl FnMut(usize) -> Result<Value, E>,
    ) -> Result<Map, E> {
        let mut entries = Vec::with_capacity(self.entries.len());
        for (at, (name, _)) in self.entries.iter().enumerate() {
            entries.push((name.clone(), value(at)?));
        }
        Ok(Map {
            entries,
            index: self.index.clone(),
        })
    }

    /// An object of `entries`, named as `shape`'s members in its order (not checked
    /// again but in debug builds).
    pub(crate) fn named_as(shape: &Map, entries: Vec<(Str, Value)>) -> Map {
        debug_assert!(shape.keys().eq(entries.iter().map(|(name, _)| name)));
        Map {
            entries,
            index: shape.index.clone(),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> Keys<'_> {
        Keys(self.entries.iter())
    }

    pub fn values(&self) -> Values<'_> {
        Values(self.entries.iter())
    }

    pub fn values_mut(&mut self) -> ValuesMut<'_> {
        ValuesMut(self.entries.iter_mut())
    }

    pub fn into_values(self) -> IntoValues {
        IntoValues(self.entries.into_iter())
    }
}

/// Equal when both have the same members, in any order (as `serde_json`'s).
impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Map {}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<Q> std::ops::Index<&Q> for Map
where
    Q: ?Sized + AsRef<str>,
{
    type Output = Value;

    fn index(&self, name: &Q) -> &Value {
        self.get(name).expect("no entry found for key")
    }
}

impl<Q> std::ops::IndexMut<&Q> for Map
where
    Q: ?Sized + AsRef<str>,
{
    fn index_mut(&mut self, name: &Q) -> &mut Value {
        self.get_mut(name).expect("no entry found for key")
    }
}

impl<K: Into<Str>> FromIterator<(K, Value)> for Map {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut map = Map::with_capacity(iter.size_hint().0);
        map.extend(iter);
        map
    }
}

impl<K: Into<Str>> Extend<(K, Value)> for Map {
    fn extend<T: IntoIterator<Item = (K, Value)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (Str, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.entries.into_iter())
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a Str, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

macro_rules! entries_iterator {
    ($name:ident $(<$a:lifetime>)?, $inner:ty, $item:ty, |$e:ident| $map:expr) => {
        pub struct $name$(<$a>)?($inner);

        impl$(<$a>)? Iterator for $name$(<$a>)? {
            type Item = $item;

            #[inline]
            fn next(&mut self) -> Option<$item> {
                self.0.next().map(|$e| $map)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.0.size_hint()
            }
        }

        impl$(<$a>)? DoubleEndedIterator for $name$(<$a>)? {
            fn next_back(&mut self) -> Option<$item> {
                self.0.next_back().map(|$e| $map)
            }
        }

        impl$(<$a>)? ExactSizeIterator for $name$(<$a>)? {}
    };
}

entries_iterator!(
    Iter<'a>,
    std::slice::Iter<'a, (Str, Value)>,
    (&'a Str, &'a Value),
    |e| (&e.0, &e.1)
);
entries_iterator!(
    IterMut<'a>,
    std::slice::IterMut<'a, (Str, Value)>,
    (&'a Str, &'a mut Value),
    |e| (&e.0, &mut e.1)
);
entries_iterator!(Keys<'a>, std::slice::Iter<'a, (Str, Value)>, &'a Str, |e| {
    &e.0
});
entries_iterator!(
    Values<'a>,
    std::slice::Iter<'a, (Str, Value)>,
    &'a Value,
    |e| &e.1
);
entries_iterator!(
    ValuesMut<'a>,
    std::slice::IterMut<'a, (Str, Value)>,
    &'a mut Value,
    |e| &mut e.1
);
entries_iterator!(
    IntoIter,
    std::vec::IntoIter<(Str, Value)>,
    (Str, Value),
    |e| e
);
entries_iterator!(IntoValues, std::vec::IntoIter<(Str, Value)>, Value, |e| e.1);

pub enum Entry<'a> {
    Vacant(VacantEntry<'a>),
    Occupied(OccupiedEntry<'a>),
}

pub struct VacantEntry<'a> {
    map: &'a mut Map,
    name: Str,
}

pub struct OccupiedEntry<'a> {
    map: &'a mut Map,
    at: usize,
}

impl<'a> Entry<'a> {
    pub fn key(&self) -> &Str {
        match self {
            Entry::Vacant(e) => e.key(),
            Entry::Occupied(e) => e.key(),
        }
    }

    pub fn or_insert(self, default: Value) -> &'a mut Value {
        self.or_insert_with(|| default)
    }

    pub fn or_insert_with<F: FnOnce() -> Value>(self, default: F) -> &'a mut Value {
        match self {
            Entry::Vacant(e) => e.insert(default()),
            Entry::Occupied(e) => e.into_mut(),
        }
    }
}

impl<'a> VacantEntry<'a> {
    pub fn key(&self) -> &Str {
        &self.name
    }

    pub fn insert(self, value: Value) -> &'a mut Value {
        let at = self.map.push_new(self.name, value);
        &mut self.map.entries[at].1
    }
}

impl<'a> OccupiedEntry<'a> {
    pub fn key(&self) -> &Str {
        &self.map.entries[self.at].0
    }

    pub fn get(&self) -> &Value {
        &self.map.entries[self.at].1
    }

    pub fn get_mut(&mut self) -> &mut Value {
        &mut self.map.entries[self.at].1
    }

    pub fn into_mut(self) -> &'a mut Value {
        &mut self.map.entries[self.at].1
    }

    pub fn insert(&mut self, value: Value) -> Value {
        std::mem::replace(self.get_mut(), value)
    }

    /// As `serde_json`'s with `preserve_order`: [`OccupiedEntry::swap_remove`].
    pub fn remove(self) -> Value {
        self.swap_remove()
    }

    pub fn swap_remove(self) -> Value {
        self.map.swap_remove_at(self.at).1
    }

    pub fn shift_remove(self) -> Value {
        self.map.shift_remove_at(self.at).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_their_bytes_at_every_length() {
        for len in 0..40usize {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_name(&a, &a.clone()), "{len}");
            if let Some(shorter) = len.checked_sub(1) {
                assert!(!same_name(&a, &a[..shorter]), "{len}");
            }
            for at in 0..len {
                let mut b = a.clone();
                b[at] = b'-';
                assert!(!same_name(&a, &b), "{len} {at}");
            }
        }
    }
}
