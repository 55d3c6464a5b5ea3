//! JSON text to a `crate::json::Value` whose arrays and objects are exactly as big as their
//! contents: for the values that enter an execution (its input, task results, callback
//! outputs). `serde_json`'s own `Value` grows each container as it reads it: a 10,000-item
//! array keeps room for 16,384 and a two-member object room for three (at 104 bytes a
//! member), which for an execution input of many small objects is a third more memory,
//! all of it touched. Here a container's elements wait on one shared stack and move into a
//! container of the right size once it ends; an object with the member names of the one
//! before it at its nesting level (an array of like objects) is read straight into an
//! object of those names (compared with them as read, not hashed; a name of up to 24
//! bytes is copied inline, not allocated).
//!
//! Most text is read by a direct reader of the common cases (plain strings and integers),
//! a third faster than going through serde's visitor; whatever else it meets (escapes,
//! fractions, exponents, big integers, deep nesting, any error) is read by `serde_json`, the
//! whole text or the one token: what is accepted, the values, the error messages and the
//! nesting limit are `serde_json`'s.

use crate::json::map::same_name;
use crate::json::{Map, Str, Value};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::fmt;
use std::ops::Range;

/// A value from any serde deserializer, its containers at their exact size: what
/// [`Value`]'s `Deserialize` does.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    ValueSeed(&mut Pending::default()).deserialize(d)
}

/// Parse JSON text (as `serde_json::from_str::<Value>` does).
pub fn value_from_str(text: &str) -> serde_json::Result<Value> {
    let mut pending = Pending::default();
    if let Some(value) = read_directly(text, &mut pending) {
        return Ok(value);
    }
    pending.items.clear();
    pending.members.clear();
    let mut de = serde_json::Deserializer::from_str(text);
    let value = ValueSeed(&mut pending).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The direct reader: `None` hands the text to `serde_json` (never a different value).
fn read_directly(text: &str, pending: &mut Pending) -> Option<Value> {
    Direct {
        text,
        pos: 0,
        depth: 0,
        pending,
    }
    .document()
}

struct Direct<'t, 'p> {
    text: &'t str,
    pos: usize,
    depth: usize,
    pending: &'p mut Pending,
}

/// Deeper nesting goes to `serde_json`, whose limit (128) says where it ends.
const DIRECT_DEPTH: usize = 100;

impl Direct<'_, '_> {
    fn document(mut self) -> Option<Value> {
        let value = self.value()?;
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(value)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        self.text[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
            value
        })
    }

    fn array(&mut self) -> Option<Value> {
        let start = self.pending.items.len();
        self.open()?;
        self.elements(b']', Elements::First, |reader| {
            let item = reader.value()?;
            reader.pending.items.push(item);
            Some(())
        })?;
        self.depth -= 1;
        Some(Value::Array(self.pending.take_items(start)))
    }

    fn object(&mut self) -> Option<Value> {
        let start = self.pending.members.len();
        let level = self.depth;
        self.open()?;
        match read_like_the_last(self, level).ok()? {
            LikeTheLast::Whole(map) => {
                self.depth -= 1;
                return Some(Value::Object(map));
            }
            LikeTheLast::Ended => {}
            LikeTheLast::Rest(from) => self.elements(b'}', from, |reader| {
                reader.skip_whitespace();
                if reader.peek()? != b'"' {
                    return None;
                }
                let name = reader.name()?;
                let value = ShapedObjects::member_value(reader, "", 0, 0).ok()?;
                reader.pending.members.push((name, value));
                Some(())
            })?,
        }
        self.depth -= 1;
        Some(Value::Object(
            self.pending.take_members(self.text, level, start),
        ))
    }

    /// At an opening bracket or brace: past it, one level deeper.
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        if self.depth > DIRECT_DEPTH {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    /// The elements of a container up to its `close` (consumed), each read by `element`
    /// onto the pending stack, separated by commas; from its first (where `close` may
    /// come at once) or from one after a comma.
    fn elements(
        &mut self,
        close: u8,
        from: Elements,
        mut element: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if from == Elements::First {
            self.skip_whitespace();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Some(());
            }
        }
        loop {
            element(self)?;
            match self.next_token()? {
                b',' => {}
                b if b == close => return Some(()),
                _ => return None,
            }
        }
    }

    /// At the opening quote.
    fn string(&mut self) -> Option<Str> {
        Some(self.name()?.into_str(self.text))
    }

    /// A string, at its opening quote, left in the text when it has no escapes.
    fn name(&mut self) -> Option<ReadName> {
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let end = plain_run_end(bytes, start);
        match *bytes.get(end)? {
            b'"' => {
                self.pos = end + 1;
                Some(ReadName::Plain(start..end))
            }
            b'\\' => {
                let quote = self.pos;
                let name = self.escaped_string()?;
                Some(ReadName::Decoded { name, quote })
            }
            // Control characters must be escaped: serde_json says so.
            _ => None,
        }
    }

    /// A string with escapes, as serde_json reads it.
    fn escaped_string(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let mut end = self.pos + 1;
        loop {
            match *bytes.get(end)? {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        let string = serde_json::from_str(&self.text[self.pos..=end]).ok()?;
        self.pos = end + 1;
        Some(string)
    }

    /// An integer of up to 18 digits here; any other number as serde_json reads it
    /// (`-0` is a float there, and fractions are rounded its way).
    fn number(&mut self) -> Option<Value> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let negative = bytes[start] == b'-';
        let digits_start = start + usize::from(negative);
        let mut end = digits_start;
        let mut n: u64 = 0;
        while let Some(&b @ b'0'..=b'9') = bytes.get(end) {
            n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            end += 1;
        }
        let digits = end - digits_start;
        let leading_zero = digits > 1 && bytes[digits_start] == b'0';
        let fraction_or_exponent = matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
        let negative_zero = negative && n == 0;
        let plain =
            (1..=18).contains(&digits) && !leading_zero && !fraction_or_exponent && !negative_zero;
        if plain {
            self.pos = end;
            return Some(Value::Number(if negative {
                // Under 10^18: no overflow.
                Number::from(-(n as i64))
            } else {
                Number::from(n)
            }));
        }
        while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = bytes.get(end) {
            end += 1;
        }
        let number: Number = serde_json::from_str(&self.text[start..end]).ok()?;
        self.pos = end;
        Some(Value::Number(number))
    }
}

/// Where a container's elements are read from.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Elements {
    /// Its first (or its close, when empty).
    First,
    /// One after a comma (its close there is an error).
    AfterComma,
}

/// An object read as far as it is like the last at its level.
pub(crate) enum LikeTheLast {
    /// All of it: the shape's names, in order.
    Whole(Map),
    /// Its end, after fewer members than the shape's (on the pending stack).
    Ended,
    /// Its members so far on the pending stack; the rest from here.
    Rest(Elements),
}

/// How far an object's members are named as a shape's.
enum NamedAs {
    All,
    Fewer,
    NotFrom(Elements),
}

/// A JSON reader that keeps [`ObjectShapes`] (the input reader here, the definition
/// loader): what [`read_like_the_last`] asks of it.
pub(crate) trait ShapedObjects {
    type Error;
    fn shapes_and_pending(&mut self) -> (&mut ObjectShapes, &mut Vec<(ReadName, Value)>);
    fn text_and_pos(&mut self) -> (&str, &mut usize);
    fn skip_whitespace(&mut self);
    /// Just past a member's name (its opening quote at `quote`), in an object at nesting
    /// `level`: the colon and the member's value.
    fn member_value(
        &mut self,
        name: &str,
        quote: usize,
        level: usize,
    ) -> Result<Value, Self::Error>;
    /// After a member's value: the comma or the closing brace there, consumed.
    fn after_member(&mut self) -> Result<u8, Self::Error>;
}

/// Just inside an object's brace (at nesting `level`), with a shape at its level: its
/// members read straight into an object of the shape's names while they are those names,
/// in that order (an array of like objects, read without the pending stack or a second
/// pass). Where they stop being those, what was read moves to the pending stack (named by
/// the ranges of the shape's names in the text, the same bytes) for the general reader to
/// go on from.
pub(crate) fn read_like_the_last<R: ShapedObjects>(
    reader: &mut R,
    level: usize,
) -> Result<LikeTheLast, R::Error> {
    let (shapes, _) = reader.shapes_and_pending();
    let Some(shape) = shapes
        .levels
        .get_mut(level)
        .and_then(|last| last.map.take())
    else {
        return Ok(LikeTheLast::Rest(Elements::First));
    };
    let mut entries = Vec::new();
    let read = members_named_as(reader, &shape, &mut entries, level);
    let (shapes, pending) = reader.shapes_and_pending();
    let last = &mut shapes.levels[level];
    let outcome = match read {
        Ok(NamedAs::All) => Ok(LikeTheLast::Whole(Map::named_as(&shape, entries))),
        Ok(partly) => {
            let names = last.names.iter().cloned();
            let read = names
                .zip(entries)
                .map(|(name, (_, value))| (ReadName::Plain(name), value));
            pending.extend(read);
            Ok(match partly {
                NamedAs::NotFrom(from) => LikeTheLast::Rest(from),
                _ => LikeTheLast::Ended,
            })
        }
        Err(e) => Err(e),
    };
    last.map = Some(shape);
    outcome
}

/// The members named as `shape`'s, into `entries`: up to the object's end, or up to the
/// first that is not (left unread).
fn members_named_as<R: ShapedObjects>(
    reader: &mut R,
    shape: &Map,
    entries: &mut Vec<(Str, Value)>,
    level: usize,
) -> Result<NamedAs, R::Error> {
    let count = shape.len();
    for (at, name) in shape.keys().enumerate() {
        reader.skip_whitespace();
        let (text, pos) = reader.text_and_pos();
        let bytes = text.as_bytes();
        let quote = *pos;
        let name_end = quote + 1 + name.len();
        // Shape names have no quotes or escapes: the quote after them ends the name.
        let same = bytes.get(quote) == Some(&b'"')
            && bytes
                .get(quote + 1..name_end)
                .is_some_and(|read| same_name(read, name.as_bytes()))
            && bytes.get(name_end) == Some(&b'"');
        if !same {
            return Ok(NamedAs::NotFrom(if at == 0 {
                Elements::First
            } else {
                Elements::AfterComma
            }));
        }
        *pos = name_end + 1;
        if at == 0 {
            // Only now: an object unlike the last allocates nothing here.
            entries.reserve_exact(count);
        }
        let value = reader.member_value(name, quote, level)?;
        entries.push((name.clone(), value));
        match reader.after_member()? {
            b',' if at + 1 < count => {}
            b',' => return Ok(NamedAs::NotFrom(Elements::AfterComma)),
            _ if at + 1 == count => return Ok(NamedAs::All),
            _ => return Ok(NamedAs::Fewer),
        }
    }
    // Only a shape without names (never made) gets here.
    Ok(NamedAs::NotFrom(Elements::First))
}

impl ShapedObjects for Direct<'_, '_> {
    /// Handed over to serde_json, which says what is wrong.
    type Error = ();

    fn shapes_and_pending(&mut self) -> (&mut ObjectShapes, &mut Vec<(ReadName, Value)>) {
        (&mut self.pending.shapes, &mut self.pending.members)
    }

    fn text_and_pos(&mut self) -> (&str, &mut usize) {
        (self.text, &mut self.pos)
    }

    fn skip_whitespace(&mut self) {
        Direct::skip_whitespace(self);
    }

    /// The name and where it is matter only to the loader's spans.
    fn member_value(&mut self, _: &str, _: usize, _: usize) -> Result<Value, ()> {
        if self.next_token() != Some(b':') {
            return Err(());
        }
        self.value().ok_or(())
    }

    fn after_member(&mut self) -> Result<u8, ()> {
        match self.next_token() {
            Some(b @ (b',' | b'}')) => Ok(b),
            _ => Err(()),
        }
    }
}

/// Where the characters a JSON string holds as they are, from `from` on, end: at a quote,
/// a backslash or a control character (or the end of `bytes`). Eight bytes at a time:
/// names and values are most of a JSON text.
pub(crate) fn plain_run_end(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // The high bit of each byte of `word` under `n` (n <= 0x80): exact for the lowest
    // such byte, which is all that is read.
    let under = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let stops = under(word ^ (ONES * u64::from(b'"')), 1)
            | under(word ^ (ONES * u64::from(b'\\')), 1)
            | under(word, 0x20);
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// Elements of the containers being read, innermost last.
#[derive(Default)]
struct Pending {
    items: Vec<Value>,
    members: Vec<(ReadName, Value)>,
    shapes: ObjectShapes,
}

impl Pending {
    /// The items from `start` on, as an array of their number.
    fn take_items(&mut self, start: usize) -> Vec<Value> {
        if start == 0 {
            // Every pending element is this array's (an outermost array, as a big input's
            // list usually is): the stack becomes it, shrunk in place, not copied out.
            let mut items = std::mem::take(&mut self.items);
            items.shrink_to_fit();
            items
        } else {
            // `drain` knows its length: the Vec is allocated once, at that size.
            self.items.drain(start..).collect()
        }
    }

    /// The members from `start` on (of an object at nesting `level` of `text`), as an
    /// object of their number. A repeated key keeps its first place and its last value,
    /// as serde_json does.
    fn take_members(&mut self, text: &str, level: usize, start: usize) -> Map {
        let object = self.shapes.object(
            text,
            level,
            &mut self.members,
            start,
            Duplicates::LastValueWins,
        );
        // Only `Duplicates::Reject` fails.
        object.unwrap_or_default()
    }
}

/// An object member's name as a parser read it: a name without escapes stays a range of
/// the text until its object is made (which may copy it from a shape instead); one with
/// escapes is decoded.
pub(crate) enum ReadName {
    Plain(Range<usize>),
    /// `quote`: where the name's opening quote is, for a diagnostic.
    Decoded {
        name: String,
        quote: usize,
    },
}

impl ReadName {
    pub(crate) fn as_str<'t>(&'t self, text: &'t str) -> &'t str {
        match self {
            ReadName::Plain(range) => &text[range.clone()],
            ReadName::Decoded { name, .. } => name,
        }
    }

    /// The name as a string of its own (inline when short: no allocation).
    pub(crate) fn into_str(self, text: &str) -> Str {
        match self {
            ReadName::Plain(range) => Str::from(&text[range]),
            ReadName::Decoded { name, .. } => Str::from(name),
        }
    }

    /// Where the name's opening quote is in the text.
    pub(crate) fn quote(&self) -> usize {
        match self {
            ReadName::Plain(range) => range.start - 1,
            ReadName::Decoded { quote, .. } => *quote,
        }
    }
}

/// What a name given twice in one object does.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Duplicates {
    /// The first place and the last value, as serde_json reads it.
    LastValueWins,
    /// An error at the repeated name (AWS rejects such definitions).
    Reject,
}

/// For each nesting level, the member names of the last object read there, so that the
/// next objects with the same names (an array of like objects, a definition's like states)
/// are read straight into an object of those names ([`read_like_the_last`]), which does
/// not hash them again, instead of inserting each: a "shape", made when two objects in a
/// row at a level have one list of names (none from names with escapes or a name given
/// twice). Only objects unlike their shape come here, member by member.
#[derive(Default)]
pub(crate) struct ObjectShapes {
    levels: Vec<LevelShape>,
}

#[derive(Default)]
struct LevelShape {
    /// The names of the last object made member by member here (the first of a run of
    /// like objects, which are read into the shape), all without escapes (else empty).
    names: Vec<Range<usize>>,
    /// Those names in order, each with `null`: the names objects like it are read into.
    map: Option<Map>,
}

impl ObjectShapes {
    /// The object of `members[start..]` (drained), read at nesting `level` of `text`.
    /// With `Duplicates::Reject`, a repeated name is an error at its opening quote.
    pub(crate) fn object(
        &mut self,
        text: &str,
        level: usize,
        members: &mut Vec<(ReadName, Value)>,
        start: usize,
        duplicates: Duplicates,
    ) -> Result<Map, usize> {
        let len = members.len() - start;
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, LevelShape::default);
        }
        let shape = &mut self.levels[level];
        // Compared as bytes: the ranges are names read from `text`, so no boundary to check.
        let bytes = text.as_bytes();
        let same_names = len > 0
            && shape.names.len() == len
            && members[start..].iter().zip(&shape.names).all(|((name, _), last)| {
                matches!(name, ReadName::Plain(range) if same_name(&bytes[range.clone()], &bytes[last.clone()]))
            });
        if !same_names {
            shape.map = None;
            shape.names.clear();
            for (name, _) in &members[start..] {
                let ReadName::Plain(range) = name else {
                    shape.names.clear();
                    break;
                };
                shape.names.push(range.clone());
            }
        }
        let mut map = Map::with_capacity(len);
        for (name, value) in members.drain(start..) {
            let quote = name.quote();
            match map.entry(name.into_str(text)) {
                crate::json::Entry::Vacant(e) => {
                    e.insert(value);
                }
                crate::json::Entry::Occupied(_) if duplicates == Duplicates::Reject => {
                    return Err(quote);
                }
                crate::json::Entry::Occupied(mut e) => {
                    e.insert(value);
                }
            }
        }
        if same_names && map.len() == len {
            shape.map = shape_of(map.keys().map(Str::as_str));
        }
        Ok(map)
    }
}

struct ValueSeed<'p>(&'p mut Pending);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let pending = self.0;
        let start = pending.items.len();
        while let Some(item) = seq.next_element_seed(ValueSeed(&mut *pending))? {
            pending.items.push(item);
        }
        Ok(Value::Array(pending.take_items(start)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let pending = self.0;
        let start = pending.members.len();
        while let Some(name) = access.next_key::<String>()? {
            let value = access.next_value_seed(ValueSeed(&mut *pending))?;
            pending
                .members
                .push((ReadName::Decoded { name, quote: 0 }, value));
        }
        // No text to compare names in: every object is made member by member.
        Ok(Value::Object(pending.take_members("", 0, start)))
    }
}

/// A "shape": the member names of objects made again and again (a template's, an array's
/// like items), in order, each with `null`; None when a name repeats. Making an object of
/// its names ([`Map::with_names_of`]) does not compare them with each other again, inserting them
/// does.
pub(crate) fn shape_of<'n>(names: impl ExactSizeIterator<Item = &'n str>) -> Option<Map> {
    let len = names.len();
    // At the size the copies are made, so that copying it in reuses their allocations.
    let mut shape = Map::with_capacity(len);
    for name in names {
        shape.insert(name, Value::Null);
    }
    (shape.len() == len).then_some(shape)
}

/// `count` JSON texts (`{"r": [...]}`) of runs of objects that are like the last, then
/// not: fewer, more, other or repeated names, names with escapes, nested like objects,
/// whitespace wherever JSON allows it, and broken ones (a trailing comma, a missing colon
/// or value). For the tests of both readers.
#[cfg(test)]
pub(crate) fn runs_of_like_objects(count: usize) -> Vec<String> {
    let names = ["a", "b", "a", "longer_name_1", "a\\u0062", "ab"];
    let mut seed = 7u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut texts = Vec::with_capacity(count);
    for _ in 0..count {
        let mut text = String::from("{\"r\": [");
        let mut last: Vec<&str> = Vec::new();
        for i in 0..next(8) {
            if i > 0 {
                text.push_str([",", " , ", ",\n"][next(3)]);
            }
            // Mostly the last object's names; else from one to three of any.
            if next(4) == 0 || last.is_empty() {
                last = (0..1 + next(3)).map(|_| names[next(names.len())]).collect();
            }
            text.push('{');
            // Sometimes one fewer.
            let members = last.len() - usize::from(next(6) == 0);
            for (m, name) in last[..members].iter().enumerate() {
                let space = |n: usize| [" ", "", "\n\t", ""][n];
                if m > 0 {
                    text.push_str(space(next(4)));
                    text.push(',');
                }
                text.push_str(space(next(4)));
                let value = match next(5) {
                    0 => "{\"x\":1,\"y\":[2]}".to_string(),
                    1 => "[]".to_string(),
                    _ => next(100).to_string(),
                };
                let (before, after) = (space(next(4)), space(next(4)));
                text.push_str(&format!("\"{name}\"{before}:{after}{value}"));
            }
            match next(20) {
                0 => text.push(','),
                1 => text.push_str(",\"a\""),
                2 => text.push_str(",\"a\":"),
                3 => text.push_str(",\"c\":3"),
                4 => text.push_str(" \"c\":3"),
                _ => {}
            }
            text.push_str([" }", "}"][next(2)]);
        }
        text.push_str("]}");
        texts.push(text);
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` reads as serde_json's own value (not only through its tokenizer), member
    /// order included.
    fn reads_as_serde_json_does(text: &str) {
        let ours = value_from_str(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, Value::from(theirs.clone()), "{text}");
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap(),
            "member order of {text}"
        );
    }

    #[test]
    fn reads_what_serde_json_reads_with_containers_of_exact_size() {
        let texts = [
            r#"{"items":[{"id":1,"price":2.5},{"id":2,"price":-0},{"b":[],"a":{}}],"s":"\u00e9\n","n":null,"t":true}"#,
            r#"[1, 18446744073709551615, -9223372036854775808, 1e300, 0.1, "x", [[[]]]]"#,
            r#"{"a":1,"b":2,"a":3}"#,
            "  42 ",
        ];
        for text in texts {
            reads_as_serde_json_does(text);
        }
        let Value::Object(m) = value_from_str(r#"{"items":[1,2,3,4,5]}"#).unwrap() else {
            panic!()
        };
        assert_eq!(m["items"].as_array().unwrap().capacity(), 5);
        let nested = value_from_str(r#"[[1,2],[3,[4,5,6]],7]"#).unwrap();
        assert_eq!(nested, crate::json!([[1, 2], [3, [4, 5, 6]], 7]));
        let capacities = |v: &Value| {
            let a = v.as_array().unwrap();
            (a.len(), a.capacity())
        };
        assert_eq!(capacities(&nested), (3, 3));
        assert_eq!(capacities(&nested[0]), (2, 2));
        assert_eq!(capacities(&nested[1]), (2, 2));
        assert_eq!(capacities(&nested[1][1]), (3, 3));
    }

    /// What the direct reader reads itself, and what it hands over (escapes, fractions,
    /// big numbers, negative zero, deep nesting, errors), all come out as serde_json's.
    #[test]
    fn reads_every_kind_of_token_as_serde_json_does() {
        let deep_ok = "[".repeat(120) + &"]".repeat(120);
        let deep_object = "{\"a\":".repeat(110) + "1" + &"}".repeat(110);
        let texts = [
            r#"{"s":"plain","e":"tab\tquote\"slash\/back\\u\u00e9\ud83d\ude00","k\n":1}"#,
            r#"[0, -1, 7, 999999999999999999, 1000000000000000000, 18446744073709551615,
                18446744073709551616, -9223372036854775808, -9223372036854775809, -0, -0.0,
                0.1, 1.5e3, 1E-7, -2.5e+2, 123456789012345678901234567890, 3.141592653589793238]"#,
            "\r\n\t [ true , false , null , { } , [ ] , \"\" ] \n",
            r#"{"a":1,"b":{"c":[1,{"d":null}]},"a":2,"":"empty key"}"#,
            "\"caf\u{e9} \u{1F600} \u{7f}\"",
            deep_ok.as_str(),
            deep_object.as_str(),
        ];
        for text in texts {
            reads_as_serde_json_does(text);
        }
    }

    #[test]
    fn objects_with_the_names_of_the_one_before_copy_its_shape() {
        // Like objects, reordered names, more and fewer names, names given twice, names
        // with escapes: each as serde_json reads it, member order included.
        let text = r#"[{"a":1,"b":[{"x":1}]},{"a":2,"b":[{"x":2},{"x":3}]},{"a":3,"b":[]},
            {"b":4,"a":5},{"a":6,"b":7,"c":8},{"a":9},{"a":1,"a":2},{"a":3,"a":4},
            {"a":5,"a":6},{"a\u0062":1},{"ab":2},{"ab":3},{"ab":4,"ab":5}]"#;
        let mut pending = Pending::default();
        let ours = read_directly(text, &mut pending).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        // The like objects at the second level made a shape; "ab" and "ab" twice did not.
        let shape = |level: usize| pending.shapes.levels[level].map.as_ref();
        assert!(shape(1).is_none(), "the last two objects differ");
        assert!(shape(3).is_some(), "{{\"x\"}} three times");
        let mut pending = Pending::default();
        read_directly(
            r#"[{"id":1,"n":2},{"id":3,"n":4},{"id":5,"n":6}]"#,
            &mut pending,
        );
        let names: Vec<_> = shape_names(&pending, 1);
        assert_eq!(names, ["id", "n"]);
    }

    /// Runs of objects that are like the last, then not (see [`runs_of_like_objects`]):
    /// each read as serde_json reads it, or failed with its message.
    #[test]
    fn objects_stop_being_like_the_last_anywhere() {
        for text in runs_of_like_objects(1000) {
            let ours = value_from_str(&text);
            let theirs = serde_json::from_str::<Value>(&text);
            // All of it is the direct reader's to read (not handed over), or to refuse.
            let direct = read_directly(&text, &mut Pending::default());
            assert_eq!(direct.is_some(), theirs.is_ok(), "{text}");
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => assert_eq!(
                    serde_json::to_string(&ours).unwrap(),
                    serde_json::to_string(&theirs).unwrap(),
                    "{text}"
                ),
                (Err(ours), Err(theirs)) => {
                    assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
                }
                (ours, theirs) => panic!("{text}: {ours:?} but serde_json {theirs:?}"),
            }
        }
    }

    fn shape_names(pending: &Pending, level: usize) -> Vec<String> {
        let map = pending.shapes.levels[level].map.as_ref().unwrap();
        assert!(map.values().all(Value::is_null));
        map.keys().map(Str::to_string).collect()
    }

    /// Numbers with a fraction or an exponent are the nearest double, as Java (AWS) and the
    /// definition loader read them (serde_json's `float_roundtrip`: without it `5e48` read as
    /// 5.0000000000000004e48).
    #[test]
    fn floats_are_the_nearest_double() {
        for text in [
            "5e48",
            "0.1",
            "1.7976931348623157e308",
            "2.2250738585072014e-308",
            "123456789.123456789",
            "9007199254740993.0",
            "-4.35e-7",
        ] {
            let nearest: f64 = text.parse().unwrap();
            assert_eq!(
                value_from_str(text).unwrap().as_f64(),
                Some(nearest),
                "{text}"
            );
        }
    }

    /// Eight bytes at a time, the same stop as one at a time, wherever it is.
    #[test]
    fn a_plain_run_ends_where_a_byte_by_byte_scan_ends_it() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len())
                .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(bytes.len())
        };
        let base = "abcdéfgh\u{7f}ijklmnopqrstuvwxyz0123€456789"
            .as_bytes()
            .to_vec();
        for stop in [b'"', b'\\', 0u8, b'\n', 0x1f] {
            for at in 0..=base.len() {
                let mut bytes = base.clone();
                bytes.insert(at, stop);
                for from in 0..bytes.len() {
                    assert_eq!(
                        plain_run_end(&bytes, from),
                        naive(&bytes, from),
                        "{at} {from}"
                    );
                }
            }
        }
        // Bytes over 0x80 and just over the stops before one, and no stop at all.
        let bytes = [0xff, 0x81, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x1f, b'a'];
        assert_eq!(plain_run_end(&bytes, 0), 7);
        assert_eq!(plain_run_end(&base, 0), base.len());
    }

    /// The common texts are read directly (not handed over after all).
    #[test]
    fn reads_directly_what_it_can() {
        let direct = |text: &str| read_directly(text, &mut Pending::default());
        for text in [
            r#"{"items":[{"id":1,"price":-2},{"id":2,"price":30}],"s":"x","t":true,"n":null}"#,
            r#" {"escaped":"a\"b","fraction":1.5,"big":123456789012345678901234} "#,
            "[]",
            "{}",
        ] {
            assert!(direct(text).is_some(), "{text}");
        }
        let deep = "[".repeat(101) + &"]".repeat(101);
        for text in [
            "",
            "[1,]",
            "{\"a\" 1}",
            "[1e400]",
            "\"a\tb\"",
            deep.as_str(),
        ] {
            assert!(direct(text).is_none(), "{text}");
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects_with_the_same_message() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "1 2",
            "1e400",
            "nul",
            "nullx",
            "[1 2]",
            "{\"a\":1,}",
            "{\"a\"}",
            "{1:2}",
            "[01]",
            "[-]",
            "[1.]",
            "[1e]",
            "[1-2]",
            "[+1]",
            "[.5]",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"a\tb\"",
            "\"unterminated",
            "[\"a\\",
            "[tru]",
            "{\"a\":1}}",
            "\u{a0}1",
            deep.as_str(),
        ] {
            let ours = value_from_str(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
