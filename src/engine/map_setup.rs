//! What a Map state does before its iterations start: the items (ItemsPath or Items),
//! MaxConcurrency and the tolerated failures, each item's input (ItemSelector, with
//! `$$.Map.Item`), and the batches (ItemBatcher).

use super::env::Env;
use super::flow::{dyn_number, select_path};
use crate::asl::model::{Dyn, ItemBatcher, ItemSelector, MapState};
use crate::expr::jsonata::{self, States};
use crate::expr::jsonpath::PathRoot;
use crate::expr::template::{PayloadTemplate, Shape};
use crate::expr::{ExprError, compact};
use crate::json;
use crate::json::{Map, Value};
use std::cell::OnceCell;

/// Why a Map could not start; `started_with` is the number of items when AWS had already
/// recorded MapStateStarted (the tolerated-failure fields are read after it).
pub(super) struct SetupError {
    pub error: ExprError,
    pub started_with: Option<usize>,
}

impl SetupError {
    fn before(error: ExprError) -> SetupError {
        SetupError {
            error,
            started_with: None,
        }
    }

    fn after(error: ExprError, items: usize) -> SetupError {
        SetupError {
            error,
            started_with: Some(items),
        }
    }
}

/// The iterations' inputs, MaxConcurrency, ToleratedFailureCount and
/// ToleratedFailurePercentage.
pub(super) struct MapSetup {
    /// The items, after ItemsPath or Items (before ItemSelector).
    pub items: Vec<Value>,
    /// The iterations' inputs before ItemBatcher put them in batches (kept for records,
    /// when there is a batcher).
    pub selected: Option<Vec<Value>>,
    pub inputs: Vec<Value>,
    pub limit: usize,
    pub tolerated_count: Option<usize>,
    pub tolerated_percentage: Option<f64>,
}

/// A Map's effective input (after InputPath): lent to the setup, or given to it when
/// nothing reads it afterwards, so that the items move out of it instead of being copied
/// (a big Map's setup is otherwise mostly copying).
pub(super) enum Effective<'a> {
    Lent(&'a Value),
    Given(Value),
}

impl Effective<'_> {
    fn get(&self) -> &Value {
        match self {
            Effective::Lent(v) => v,
            Effective::Given(v) => v,
        }
    }
}

/// Work out a Map's setup; `raw` is the state's input, `effective` its input after
/// InputPath, `read` the items its ItemReader read. `keep_items`: the items are wanted
/// besides the iterations' inputs (the debugger's records); otherwise they move into the
/// inputs rather than being copied.
pub(super) fn prepare(
    map: &MapState,
    raw: &Value,
    mut effective: Effective<'_>,
    env: &mut Env<'_>,
    jsonata_mode: bool,
    read: Option<Vec<Value>>,
    keep_items: bool,
) -> Result<MapSetup, SetupError> {
    let states = States::input(raw);
    // Items an ItemReader read come as they are; then items that can move out of a given
    // input; otherwise ItemsPath (or Items) copies them.
    let moved = match (&read, &mut effective) {
        (None, Effective::Given(given)) if !jsonata_mode => move_items(map, given),
        _ => None,
    };
    let items = match read.or(moved) {
        Some(items) => items,
        None => {
            items(map, effective.get(), states, env, jsonata_mode).map_err(SetupError::before)?
        }
    };
    let limit = match &map.max_concurrency {
        Some(d) => dyn_number(d, "MaxConcurrency", effective.get(), states, env, false)
            .map_err(SetupError::before)?,
        None => 0.0,
    };
    let started = |e| SetupError::after(e, items.len());
    let tolerated_count = match &map.tolerated_failure_count {
        Some(d) => {
            let n = dyn_number(
                d,
                "ToleratedFailureCount",
                effective.get(),
                states,
                env,
                false,
            )
            .map_err(started)?;
            if n < 0.0 {
                return Err(started(ExprError::runtime(
                    "ToleratedFailureCount cannot be negative.",
                )));
            }
            Some(n as usize)
        }
        None => None,
    };
    let tolerated_percentage = match &map.tolerated_failure_percentage {
        Some(d) => {
            let n = dyn_number(
                d,
                "ToleratedFailurePercentage",
                effective.get(),
                states,
                env,
                true,
            )
            .map_err(started)?;
            if !(0.0..=100.0).contains(&n) {
                return Err(started(ExprError::runtime(
                    "ToleratedFailurePercentage must be between 0 and 100.",
                )));
            }
            Some(n)
        }
        None => None,
    };
    let effective = effective.get();
    let (items, inputs) = if keep_items {
        let inputs = select(map, items.clone(), raw, effective, env);
        (items, inputs)
    } else {
        (Vec::new(), select(map, items, raw, effective, env))
    };
    let mut inputs = inputs.map_err(SetupError::before)?;
    let mut selected = None;
    if let Some(b) = &map.item_batcher {
        if keep_items {
            selected = Some(inputs.clone());
        }
        inputs = batch(b, inputs, effective, states, env).map_err(SetupError::before)?;
    }
    Ok(MapSetup {
        items,
        selected,
        inputs,
        limit: limit as usize,
        tolerated_count,
        tolerated_percentage,
    })
}

/// A JSONPath Map's items moved out of the input it was given, when nothing reads that
/// input after them: ItemsPath is a reference path to an array (or absent: the whole
/// input is the array), and neither an ItemSelector (one that reads only `$$` and
/// variables is fine), an ItemBatcher nor a `...Path` field (MaxConcurrencyPath,
/// ToleratedFailure*Path) reads the input. `None` leaves the input as it was.
fn move_items(map: &MapState, given: &mut Value) -> Option<Vec<Value>> {
    let reads_input = |d: &Option<Dyn<f64>>| matches!(d, Some(Dyn::Path(_)));
    let selector_reads_input = match &map.item_selector {
        None => false,
        Some(ItemSelector::JsonPath(t)) => t.reads_input(),
        Some(ItemSelector::Jsonata(_)) => true,
    };
    if selector_reads_input
        || map.item_batcher.is_some()
        || reads_input(&map.max_concurrency)
        || reads_input(&map.tolerated_failure_count)
        || reads_input(&map.tolerated_failure_percentage)
    {
        return None;
    }
    match &map.items_path {
        None if given.is_array() => match std::mem::take(given) {
            Value::Array(items) => Some(items),
            _ => None,
        },
        Some(p) if *p.root() == PathRoot::Input => match p.take(given)? {
            Value::Array(items) => Some(items),
            other => {
                // Not an array: put it back for ItemsPath to report.
                p.write(given, other).ok()?;
                None
            }
        },
        _ => None,
    }
}

/// The items: ItemsPath over the effective input (JSONPath), or Items (JSONata).
fn items(
    map: &MapState,
    effective: &Value,
    states: States<'_>,
    env: &mut Env<'_>,
    jsonata_mode: bool,
) -> Result<Vec<Value>, ExprError> {
    let value = if jsonata_mode {
        match &map.items {
            Some(t) => {
                let v = t.eval("Items", states, env)?;
                if let (Some(e), false) = (t.as_expr(), v.is_array()) {
                    return Err(jsonata::unexpected_type_error(e, "Items", "array", &v));
                }
                v
            }
            None => effective.clone(),
        }
    } else {
        match &map.items_path {
            Some(p) => select_path(p, effective, env)?,
            None => effective.clone(),
        }
    };
    match value {
        Value::Array(items) => Ok(items),
        other => Err(ExprError {
            error: if jsonata_mode {
                "States.QueryEvaluationError"
            } else {
                "States.Runtime"
            }
            .into(),
            cause: format!(
                "Map state input must be an array but was: {}",
                compact(&other)
            ),
        }),
    }
}

/// Each item's input: ItemSelector (or legacy Parameters) with `$$.Map.Item` in the
/// context. The context (which holds the whole execution input) is built once and only
/// its Map.Item changes per item: rebuilding it would make big Maps quadratic.
fn select(
    map: &MapState,
    items: Vec<Value>,
    raw: &Value,
    effective: &Value,
    env: &mut Env<'_>,
) -> Result<Vec<Value>, ExprError> {
    let Some(sel) = &map.item_selector else {
        return Ok(items);
    };
    if let ItemSelector::JsonPath(t) = sel
        && let Some(fields) = item_fields(t)
    {
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(index, item)| fields.input(index, item))
            .collect());
    }
    let mut inputs = Vec::with_capacity(items.len());
    let mut context: Option<Value> = None;
    for (index, item) in items.into_iter().enumerate() {
        let mut ctx = context
            .take()
            .unwrap_or_else(|| env.context_value().clone());
        set_map_item(&mut ctx, index, item);
        env.context = OnceCell::from(ctx);
        let v = match sel {
            ItemSelector::JsonPath(t) => t.eval(effective, env),
            ItemSelector::Jsonata(t) => t.eval("ItemSelector", States::input(raw), env),
        };
        context = env.context.take();
        match v {
            Ok(v) => inputs.push(v),
            Err(e) => {
                env.context = OnceCell::new();
                return Err(e);
            }
        }
    }
    env.context = OnceCell::new();
    Ok(inputs)
}

/// An ItemSelector made of constants and `$$.Map.Item.Value` / `$$.Map.Item.Index` fields
/// only (`{"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}` and the like):
/// each item's input is built straight from the item, which moves into it instead of being
/// copied out of a context object.
struct ItemFields<'t> {
    fields: &'t [(crate::json::Str, PayloadTemplate)],
    shape: &'t Shape,
    /// What each field holds.
    kinds: Vec<ItemField<'t>>,
}

enum ItemField<'t> {
    Const(&'t Value),
    Value,
    Index,
}

fn item_fields(t: &PayloadTemplate) -> Option<ItemFields<'_>> {
    let PayloadTemplate::Object { fields, shape } = t else {
        return None;
    };
    let mut values = 0;
    let mut kinds = Vec::with_capacity(fields.len());
    for (_, field) in fields {
        let kind = match field {
            PayloadTemplate::Const(v) => ItemField::Const(v),
            PayloadTemplate::Path { path, .. } => match path.text() {
                "$$.Map.Item.Value" => {
                    values += 1;
                    ItemField::Value
                }
                "$$.Map.Item.Index" => ItemField::Index,
                _ => return None,
            },
            _ => return None,
        };
        kinds.push(kind);
    }
    // The item moves into one field; a second would need a copy.
    (values <= 1).then_some(ItemFields {
        fields,
        shape,
        kinds,
    })
}

impl ItemFields<'_> {
    fn input(&self, index: usize, item: Value) -> Value {
        let mut item = Some(item);
        let Ok(map) = self.shape.object(self.fields, |k, _| {
            Ok::<_, std::convert::Infallible>(match self.kinds[k] {
                ItemField::Const(v) => v.clone(),
                ItemField::Value => item.take().unwrap_or_default(),
                ItemField::Index => Value::from(index),
            })
        });
        Value::Object(map)
    }
}

/// Set the context object's `Map.Item` (Index and Value), in place: after the first item
/// only those two values change (building the member anew for each item was most of a
/// big Map's setup).
fn set_map_item(ctx: &mut Value, index: usize, item: Value) {
    let Value::Object(ctx) = ctx else {
        return;
    };
    if ctx.get("Map").is_none() {
        ctx.insert("Map", json!({"Item": {"Index": 0, "Value": null}}));
    }
    if let Some(Value::Object(slot)) = ctx.get_mut("Map").and_then(|m| m.get_mut("Item")) {
        set_member(slot, "Index", Value::from(index));
        set_member(slot, "Value", item);
    }
}

/// `obj[key] = value` without a new key string when the member is there already.
fn set_member(obj: &mut Map, key: &str, value: Value) {
    match obj.get_mut(key) {
        Some(slot) => *slot = value,
        None => {
            obj.insert(key, value);
        }
    }
}

/// ItemBatcher: the inputs in batches of `{"BatchInput"?, "Items": [...]}`.
fn batch(
    b: &ItemBatcher,
    inputs: Vec<Value>,
    effective: &Value,
    states: States<'_>,
    env: &mut Env<'_>,
) -> Result<Vec<Value>, ExprError> {
    let max_items = match &b.max_items_per_batch {
        Some(d) => dyn_number(d, "MaxItemsPerBatch", effective, states, env, false)? as usize,
        None => usize::MAX,
    };
    let batch_input = match &b.batch_input {
        Some(ItemSelector::JsonPath(t)) => Some(t.eval(effective, env)?),
        Some(ItemSelector::Jsonata(t)) => Some(t.eval("BatchInput", states, env)?),
        None => None,
    };
    Ok(inputs
        .chunks(max_items.max(1))
        .map(|c| {
            let mut m = Map::new();
            if let Some(bi) = &batch_input {
                m.insert("BatchInput", bi.clone());
            }
            m.insert("Items", Value::Array(c.to_vec()));
            Value::Object(m)
        })
        .collect())
}
