//! JSON text to a `serde_json::Value` whose arrays and objects are exactly as big as their
//! contents: for the values that enter an execution (its input, task results, callback
//! outputs). `serde_json`'s own `Value` grows each container as it reads it: a 10,000-item
//! array keeps room for 16,384 and a two-member object room for three (at 104 bytes a
//! member), which for an execution input of many small objects is a third more memory,
//! all of it touched. Here a container's elements wait on one shared stack and move into a
//! container of the right size once it ends. The text is read by `serde_json`'s parser, so
//! what is accepted, the error messages and the nesting limit are the same.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parse JSON text (as `serde_json::from_str::<Value>` does).
pub fn value_from_str(text: &str) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut pending = Pending::default();
    let value = ValueSeed(&mut pending).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Elements of the containers being read, innermost last.
#[derive(Default)]
struct Pending {
    items: Vec<Value>,
    members: Vec<(String, Value)>,
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
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
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
        let items = if start == 0 {
            // Every pending element is this array's (an outermost array, as a big input's
            // list usually is): the stack becomes it, shrunk in place, not copied out.
            let mut items = std::mem::take(&mut pending.items);
            items.shrink_to_fit();
            items
        } else {
            // `drain` knows its length: the Vec is allocated once, at that size.
            pending.items.drain(start..).collect()
        };
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let pending = self.0;
        let start = pending.members.len();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(ValueSeed(&mut *pending))?;
            pending.members.push((key, value));
        }
        let mut map = Map::with_capacity(pending.members.len() - start);
        // A repeated key keeps its first place and its last value, as serde_json does.
        for (key, value) in pending.members.drain(start..) {
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads_with_containers_of_exact_size() {
        let texts = [
            r#"{"items":[{"id":1,"price":2.5},{"id":2,"price":-0},{"b":[],"a":{}}],"s":"\u00e9\n","n":null,"t":true}"#,
            r#"[1, 18446744073709551615, -9223372036854775808, 1e300, 0.1, "x", [[[]]]]"#,
            r#"{"a":1,"b":2,"a":3}"#,
            "  42 ",
        ];
        for text in texts {
            let ours = value_from_str(text).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&theirs).unwrap(),
                "member order of {text}"
            );
        }
        let Value::Object(m) = value_from_str(r#"{"items":[1,2,3,4,5]}"#).unwrap() else {
            panic!()
        };
        assert_eq!(m["items"].as_array().unwrap().capacity(), 5);
        let nested = value_from_str(r#"[[1,2],[3,[4,5,6]],7]"#).unwrap();
        assert_eq!(nested, serde_json::json!([[1, 2], [3, [4, 5, 6]], 7]));
        let capacities = |v: &Value| {
            let a = v.as_array().unwrap();
            (a.len(), a.capacity())
        };
        assert_eq!(capacities(&nested), (3, 3));
        assert_eq!(capacities(&nested[0]), (2, 2));
        assert_eq!(capacities(&nested[1]), (2, 2));
        assert_eq!(capacities(&nested[1][1]), (3, 3));
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
            deep.as_str(),
        ] {
            let ours = value_from_str(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
