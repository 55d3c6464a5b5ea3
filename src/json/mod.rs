//! The JSON value every layer passes around: `serde_json::Value`'s API and behaviour, in
//! less memory. `serde_json`'s value with `preserve_order` is 72 bytes and keeps each object
//! in an `IndexMap`: a hash table and an entry vector (104 bytes a member), every name
//! hashed with SipHash. A state machine's data is mostly small objects and short strings,
//! each built once and read a few times, so here a value is 32 bytes, an object one vector
//! of its members (56 bytes each), searched in order until it is big enough for an index
//! (see [`Map`]), and a string, a value's or a member name's, a [`Str`]: inline up to 24
//! bytes instead of an allocation each. Where `serde_json` has `String` (`Value::String`,
//! `Map`'s keys), this has `Str`; `insert`, `entry`, `collect` and `From` take either.
//! Parsing, printing and numbers are `serde_json`'s.

mod macros;
mod map;
pub mod parse;

pub use map::{
    Entry, IntoIter, IntoValues, Iter, IterMut, Keys, Map, OccupiedEntry, VacantEntry, Values,
    ValuesMut,
};
pub use serde_json::Number;

/// A JSON string, a value's or a member name's: up to 24 bytes it sits inline, so the many
/// short strings a state machine's data repeats are copied, not allocated, when values are
/// built or cloned.
pub type Str = compact_str::CompactString;

use serde::de::DeserializeOwned;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Str),
    Array(Vec<Value>),
    Object(Map),
}

/// A Rust value as a [`Value`] (through `serde_json`'s).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    serde_json::to_value(value).map(Value::from)
}

/// A [`Value`] as a Rust value (through `serde_json`'s).
pub fn from_value<T: DeserializeOwned>(value: Value) -> serde_json::Result<T> {
    serde_json::from_value(serde_json::Value::from(value))
}

// The sizes the module docs promise (on 64-bit targets): a value grown by a variant or a
// field makes every array, object and thread input bigger.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<Value>() == 32);
    assert!(std::mem::size_of::<(Str, Value)>() == 56);
};

static NULL: Value = Value::Null;

impl Value {
    pub fn get<I: Index>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    pub fn get_mut<I: Index>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_u64(&self) -> bool {
        self.as_number().is_some_and(Number::is_u64)
    }

    pub fn is_f64(&self) -> bool {
        self.as_number().is_some_and(Number::is_f64)
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value at a JSON Pointer (RFC 6901), as `serde_json`'s.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        pointer_tokens(pointer)?.try_fold(self, |target, token| match target {
            Value::Object(map) => map.get(&token),
            Value::Array(list) => pointer_index(&token).and_then(|i| list.get(i)),
            _ => None,
        })
    }

    /// The value, leaving `null` in its place.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }
}

/// A JSON Pointer's reference tokens, unescaped (none for ""); None when it is not one.
fn pointer_tokens(pointer: &str) -> Option<impl Iterator<Item = String> + '_> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    Some(
        rest.into_iter()
            .flat_map(|r| r.split('/'))
            .map(|t| t.replace("~1", "/").replace("~0", "~")),
    )
}

fn pointer_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// What indexes a [`Value`]: a `usize` an array, a string an object.
pub trait Index {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
    /// For `value[i] = ...`: `null` becomes an object for a name; a missing array element
    /// panics, as `serde_json`'s.
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value;
}

impl Index for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array()?.get(*self)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut()?.get_mut(*self)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        match v {
            Value::Array(list) => {
                let len = list.len();
                list.get_mut(*self).unwrap_or_else(|| {
                    panic!("cannot access index {self} of JSON array of length {len}")
                })
            }
            other => panic!("cannot access index {self} of JSON {}", other.type_name()),
        }
    }
}

impl Index for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_object()?.get(self)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_object_mut()?.get_mut(self)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        if v.is_null() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(map) => map.entry(self).or_insert(Value::Null),
            other => panic!("cannot access key {self:?} in JSON {}", other.type_name()),
        }
    }
}

/// Owned names index as their text.
macro_rules! index_by_text {
    ($($owned:ty),*) => {$(
        impl Index for $owned {
            fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
                self.as_str().index_into(v)
            }

            fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
                self.as_str().index_into_mut(v)
            }

            fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
                self.as_str().index_or_insert(v)
            }
        }
    )*};
}

index_by_text!(String, Str);

impl<T: Index + ?Sized> Index for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        (**self).index_or_insert(v)
    }
}

impl<I: Index> std::ops::Index<I> for Value {
    type Output = Value;

    /// `null` when there is nothing there, as `serde_json`'s.
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

impl<I: Index> std::ops::IndexMut<I> for Value {
    fn index_mut(&mut self, index: I) -> &mut Value {
        index.index_or_insert(self)
    }
}

impl Value {
    /// The JSON type's name: null, boolean, number, string, array or object.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Number(n) => fmt::Debug::fmt(n, f),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::Array(a) => {
                f.write_str("Array ")?;
                fmt::Debug::fmt(a, f)
            }
            Value::Object(m) => {
                f.write_str("Object ")?;
                fmt::Debug::fmt(m, f)
            }
        }
    }
}

/// Compact JSON text; `{:#}` pretty-printed.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Writer<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl std::io::Write for Writer<'_, '_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                // serde_json writes only UTF-8.
                let s = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
                self.0.write_str(s).map_err(std::io::Error::other)?;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let pretty = f.alternate();
        let mut w = Writer(f);
        if pretty {
            serde_json::to_writer_pretty(&mut w, self)
        } else {
            serde_json::to_writer(&mut w, self)
        }
        .map_err(|_| fmt::Error)
    }
}

impl std::str::FromStr for Value {
    type Err = serde_json::Error;

    fn from_str(s: &str) -> Result<Value, serde_json::Error> {
        serde_json::from_str(s)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(m) => m.serialize(s),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        parse::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(m),
            other => Err(serde::de::Error::custom(format_args!(
                "invalid type: {}, expected a JSON object",
                other.type_name()
            ))),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::from(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n),
            Value::String(s) => serde_json::Value::String(s.into_string()),
            Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(serde_json::Value::from).collect())
            }
            Value::Object(m) => serde_json::Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k.into_string(), serde_json::Value::from(v)))
                    .collect(),
            ),
        }
    }
}

macro_rules! from_number {
    ($($t:ty)*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n.into())
            }
        }
    )*};
}

from_number!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

impl From<f64> for Value {
    /// `null` for NaN and the infinities, as `serde_json`'s.
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::from(f as f64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Value {
        Value::String(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}

impl From<Cow<'_, str>> for Value {
    fn from(s: Cow<'_, str>) -> Value {
        Value::String(s.into())
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Clone + Into<Value>> From<&[T]> for Value {
    fn from(v: &[T]) -> Value {
        Value::Array(v.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<()> for Value {
    fn from((): ()) -> Value {
        Value::Null
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Value {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Value {
        Value::Object(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

// Comparisons with plain Rust values, as `serde_json`'s.
impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<Value> for str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

impl PartialEq<Value> for &str {
    fn eq(&self, other: &Value) -> bool {
        other == *self
    }
}

impl PartialEq<Value> for String {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<Value> for bool {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

macro_rules! eq_number {
    ($($t:ty => $as:ident as $conv:ty),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                self.$as() == Some(*other as $conv)
            }
        }

        impl PartialEq<Value> for $t {
            fn eq(&self, other: &Value) -> bool {
                other == self
            }
        }
    )*};
}

eq_number!(
    i8 => as_i64 as i64, i16 => as_i64 as i64, i32 => as_i64 as i64, i64 => as_i64 as i64,
    isize => as_i64 as i64, u8 => as_u64 as u64, u16 => as_u64 as u64, u32 => as_u64 as u64,
    u64 => as_u64 as u64, usize => as_u64 as u64, f32 => as_f64 as f64, f64 => as_f64 as f64
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn both(text: &str) -> (Value, serde_json::Value) {
        (
            serde_json::from_str(text).unwrap(),
            serde_json::from_str(text).unwrap(),
        )
    }

    /// Strings and names inline (up to 24 bytes) and on the heap (longer) read, compare,
    /// index, print and convert alike, with escapes and without.
    #[test]
    fn short_and_long_strings_behave_alike() {
        let mut texts = Vec::new();
        for len in [0, 1, 23, 24, 25, 200] {
            let plain = "a".repeat(len);
            texts.push(plain.clone());
            if len > 0 {
                // The same byte length, read through the escapes.
                texts.push(format!("\"{}", &plain[1..]));
            }
        }
        // Two-byte characters: 24 and 26 bytes.
        texts.extend(["é".repeat(12), "é".repeat(13)]);
        for text in texts {
            let doc = json!({ text.as_str(): text.as_str() });
            let printed = doc.to_string();
            let (ours, theirs) = both(&printed);
            assert_eq!(ours, doc, "{printed}");
            assert_eq!(serde_json::Value::from(ours.clone()), theirs);
            assert_eq!(ours[text.as_str()], Value::from(text.clone()));
            assert_eq!(
                ours[&Str::from(text.as_str())].as_str(),
                Some(text.as_str())
            );
            let (name, value) = ours.as_object().unwrap().iter().next().unwrap();
            assert_eq!(
                (name.as_str(), value.as_str()),
                (text.as_str(), Some(text.as_str()))
            );
            assert_eq!(parse::value_from_str(&printed).unwrap(), doc);
        }
    }

    #[test]
    fn parses_and_prints_as_serde_json_does() {
        for text in [
            r#"{"b":1,"a":[1,2.5,-3,"x",null,true],"c":{"d":{}},"b":2}"#,
            r#"[1e300,0.1,18446744073709551615,-9223372036854775808]"#,
            r#""\u00e9\n""#,
            "{}",
        ] {
            let (ours, theirs) = both(text);
            assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
            assert_eq!(format!("{ours:#}"), format!("{theirs:#}"), "{text}");
            assert_eq!(serde_json::Value::from(ours.clone()), theirs);
            assert_eq!(Value::from(theirs), ours);
        }
    }

    #[test]
    fn objects_compare_without_order_and_keep_insertion_order() {
        let a = json!({"x": 1, "y": [1, {"p": 1, "q": 2}]});
        let b = json!({"y": [1, {"q": 2, "p": 1}], "x": 1});
        assert_eq!(a, b);
        assert_ne!(a, json!({"x": 1}));
        assert_eq!(a.to_string(), r#"{"x":1,"y":[1,{"p":1,"q":2}]}"#);
        assert_ne!(json!(1), json!(1.0));
    }

    #[test]
    fn a_repeated_name_keeps_its_place_and_its_last_value() {
        let v: Value = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn big_objects_stay_consistent_through_inserts_and_removals() {
        let mut ours = Map::new();
        let mut model: Vec<(String, i64)> = Vec::new();
        let mut state = 7u64;
        for step in 0..5000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let name = format!("k{}", (state >> 33) % 300);
            let model_at = model.iter().position(|(k, _)| *k == name);
            match (state >> 20) % 5 {
                0 => {
                    let got = ours.swap_remove(&name);
                    let want = model_at.map(|i| model.swap_remove(i).1);
                    assert_eq!(got, want.map(Value::from), "step {step}");
                }
                1 => {
                    let got = ours.shift_remove(&name);
                    let want = model_at.map(|i| model.remove(i).1);
                    assert_eq!(got, want.map(Value::from), "step {step}");
                }
                2 => {
                    ours.retain(|k, _| !k.ends_with('7'));
                    model.retain(|(k, _)| !k.ends_with('7'));
                }
                _ => {
                    ours.insert(name.clone(), Value::from(step));
                    match model_at {
                        Some(i) => model[i].1 = step,
                        None => model.push((name, step)),
                    }
                }
            }
            assert_eq!(ours.len(), model.len());
            for (k, v) in &model {
                assert_eq!(
                    ours.get(k.as_str()),
                    Some(&Value::from(*v)),
                    "step {step} {k}"
                );
            }
            let keys: Vec<&str> = ours.keys().map(Str::as_str).collect();
            let want: Vec<&str> = model.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, want, "step {step}");
        }
    }

    #[test]
    fn entries_index_and_pointer_work_as_serde_jsons() {
        let mut m = Map::new();
        *m.entry("a").or_insert(json!(0)) = json!(1);
        // An occupied entry gives the member there, not the default.
        let there = m.entry("a").or_insert(json!(9));
        assert_eq!(*there, json!(1));
        *there = json!(2);
        assert_eq!(Value::Object(m.clone()), json!({"a": 2}));
        let mut v = Value::Null;
        v["x"]["y"] = json!([10, 20]);
        assert_eq!(v, json!({"x": {"y": [10, 20]}}));
        assert_eq!(v["x"]["y"][1], 20);
        assert_eq!(v["nope"][3], Value::Null);
        assert_eq!(v.pointer("/x/y/0"), Some(&json!(10)));
        assert_eq!(v.pointer("/x/y/01"), None);
        assert_eq!(
            json!({"a/b": {"~": 1}}).pointer("/a~1b/~0"),
            Some(&json!(1))
        );
    }

    #[test]
    fn a_value_is_small() {
        assert!(std::mem::size_of::<Value>() <= 40);
    }
}
