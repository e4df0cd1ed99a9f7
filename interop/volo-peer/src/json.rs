//! Canonical JSON form of the interop IDL's values (documented in interop/README.md),
//! the echo rule shared by the server and the client's expectations, and the
//! script macros.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use pilota::{AHashMap, AHashSet, Bytes, FastStr};
use serde_json::{Map, Value, json};

use crate::idl::echo_gen::{
    base::{Base, BaseResp},
    echo::{Color, EchoError, EchoRequest, EchoResponse, Inner, Labels, OtherError, SeqId, Shape},
};

// ---------------------------------------------------------------- the echo rule

/// What `EchoService.Echo` answers for `req` (when `action` asks for nothing else).
pub fn echo_of(req: &EchoRequest) -> EchoResponse {
    EchoResponse {
        message: req.message.clone(),
        action: req.action.clone(),
        flag: req.flag,
        b: req.b,
        tiny: req.tiny,
        small: req.small,
        medium: req.medium,
        big: req.big,
        ratio: req.ratio,
        blob: req.blob.clone(),
        ints: req.ints.clone(),
        tags: req.tags.clone(),
        counts: req.counts.clone(),
        names_by_id: req.names_by_id.clone(),
        inners: req.inners.clone(),
        nested: req.nested.clone(),
        color: req.color,
        seq: req.seq.clone(),
        shape: req.shape.clone(),
        inner: req.inner.clone(),
        note: req.note.clone(),
        level: req.level,
        base_resp: Some(BaseResp {
            status_message: Some(FastStr::from_static_str("ok")),
            status_code: Some(0),
            extra: req.base.as_ref().and_then(|b| b.extra.clone()),
        }),
    }
}

pub fn echo_error(code: i32, msg: &'static str) -> EchoError {
    EchoError {
        code: Some(code),
        msg: Some(FastStr::from_static_str(msg)),
    }
}

pub fn other_error(reason: &'static str) -> OtherError {
    OtherError {
        reason: Some(FastStr::from_static_str(reason)),
    }
}

// ---------------------------------------------------------------- values -> JSON

fn s(v: &FastStr) -> Value {
    Value::String(v.as_str().to_owned())
}

fn put<T>(m: &mut Map<String, Value>, key: &str, v: Option<T>, f: impl FnOnce(T) -> Value) {
    if let Some(v) = v {
        m.insert(key.to_owned(), f(v));
    }
}

fn str_list(v: &[FastStr]) -> Value {
    Value::Array(v.iter().map(s).collect())
}

fn str_set(v: &AHashSet<FastStr>) -> Value {
    let mut items: Vec<&str> = v.iter().map(|x| x.as_str()).collect();
    items.sort_unstable();
    json!(items)
}

fn str_map(v: &AHashMap<FastStr, FastStr>) -> Value {
    let m: BTreeMap<&str, &str> = v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    json!(m)
}

pub fn inner_to_json(v: &Inner) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), s(&v.id));
    put(&mut m, "weight", v.weight, |x| json!(x));
    put(&mut m, "labels", v.labels.as_ref(), |x| str_list(&x.0));
    Value::Object(m)
}

fn shape_to_json(v: &Shape) -> Value {
    match v {
        Shape::Inner(x) => json!({ "inner": inner_to_json(x) }),
        Shape::Name(x) => json!({ "name": x.as_str() }),
        Shape::Radius(x) => json!({ "radius": x }),
    }
}

fn base_resp_to_json(v: &BaseResp) -> Value {
    let mut m = Map::new();
    put(&mut m, "StatusMessage", v.status_message.as_ref(), s);
    put(&mut m, "StatusCode", v.status_code, |x| json!(x));
    put(&mut m, "Extra", v.extra.as_ref(), str_map);
    Value::Object(m)
}

pub fn response_to_json(r: &EchoResponse) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), s(&r.message));
    put(&mut m, "action", r.action.as_ref(), s);
    put(&mut m, "flag", r.flag, |x| json!(x));
    put(&mut m, "b", r.b, |x| json!(x));
    put(&mut m, "tiny", r.tiny, |x| json!(x));
    put(&mut m, "small", r.small, |x| json!(x));
    put(&mut m, "medium", r.medium, |x| json!(x));
    put(&mut m, "big", r.big, |x| json!(x));
    put(&mut m, "ratio", r.ratio, |x| json!(x));
    put(&mut m, "blob", r.blob.as_ref(), |x| json!(STANDARD.encode(x)));
    put(&mut m, "ints", r.ints.as_ref(), |x| json!(x));
    put(&mut m, "tags", r.tags.as_ref(), str_set);
    put(&mut m, "counts", r.counts.as_ref(), |x| {
        let m: BTreeMap<&str, i64> = x.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        json!(m)
    });
    put(&mut m, "names_by_id", r.names_by_id.as_ref(), |x| {
        let m: BTreeMap<String, &str> = x.iter().map(|(k, v)| (k.to_string(), v.as_str())).collect();
        json!(m)
    });
    put(&mut m, "inners", r.inners.as_ref(), |x| {
        let m: BTreeMap<&str, Value> = x.iter().map(|(k, v)| (k.as_str(), inner_to_json(v))).collect();
        json!(m)
    });
    put(&mut m, "nested", r.nested.as_ref(), |x| {
        Value::Array(
            x.iter()
                .map(|mm| {
                    let m: BTreeMap<&str, &Vec<i32>> = mm.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    json!(m)
                })
                .collect(),
        )
    });
    put(&mut m, "color", r.color, |x| json!(x.inner()));
    put(&mut m, "seq", r.seq.as_ref(), |x| json!(x.0));
    put(&mut m, "shape", r.shape.as_ref(), shape_to_json);
    put(&mut m, "inner", r.inner.as_ref(), inner_to_json);
    put(&mut m, "note", r.note.as_ref(), s);
    put(&mut m, "level", r.level, |x| json!(x));
    put(&mut m, "BaseResp", r.base_resp.as_ref(), base_resp_to_json);
    Value::Object(m)
}

pub fn echo_error_to_json(e: &EchoError) -> Value {
    let mut m = Map::new();
    put(&mut m, "code", e.code, |x| json!(x));
    put(&mut m, "msg", e.msg.as_ref(), s);
    Value::Object(m)
}

pub fn other_error_to_json(e: &OtherError) -> Value {
    let mut m = Map::new();
    put(&mut m, "reason", e.reason.as_ref(), s);
    Value::Object(m)
}

// ---------------------------------------------------------------- JSON -> values

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| anyhow!("{what}: expected an object, got {v}"))
}

pub fn get_str(v: &Value, what: &str) -> Result<FastStr> {
    v.as_str()
        .map(|x| FastStr::new(x))
        .ok_or_else(|| anyhow!("{what}: expected a string, got {v}"))
}

pub fn get_i64(v: &Value, what: &str) -> Result<i64> {
    v.as_i64().ok_or_else(|| anyhow!("{what}: expected an integer, got {v}"))
}

fn get_int<T: TryFrom<i64>>(v: &Value, what: &str) -> Result<T> {
    T::try_from(get_i64(v, what)?).map_err(|_| anyhow!("{what}: {v} out of range"))
}

fn get_f64(v: &Value, what: &str) -> Result<f64> {
    v.as_f64().ok_or_else(|| anyhow!("{what}: expected a number, got {v}"))
}

fn get_bool(v: &Value, what: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| anyhow!("{what}: expected a bool, got {v}"))
}

fn get_arr<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| anyhow!("{what}: expected an array, got {v}"))
}

/// `f` applied to the field `key` of `m` when it is present.
fn opt<T>(
    m: &Map<String, Value>,
    key: &str,
    f: impl FnOnce(&Value, &str) -> Result<T>,
) -> Result<Option<T>> {
    m.get(key).map(|v| f(v, key)).transpose()
}

fn str_vec(v: &Value, what: &str) -> Result<Vec<FastStr>> {
    get_arr(v, what)?.iter().map(|x| get_str(x, what)).collect()
}

fn str_str_map(v: &Value, what: &str) -> Result<AHashMap<FastStr, FastStr>> {
    obj(v, what)?
        .iter()
        .map(|(k, x)| Ok((FastStr::new(k), get_str(x, what)?)))
        .collect()
}

fn inner_from_json(v: &Value, what: &str) -> Result<Inner> {
    let m = obj(v, what)?;
    Ok(Inner {
        id: get_str(m.get("id").ok_or_else(|| anyhow!("{what}: missing required id"))?, "id")?,
        weight: opt(m, "weight", get_int)?,
        labels: opt(m, "labels", str_vec)?.map(Labels),
    })
}

fn shape_from_json(v: &Value, what: &str) -> Result<Shape> {
    let m = obj(v, what)?;
    if m.len() != 1 {
        bail!("{what}: a union needs exactly one member, got {v}");
    }
    let (k, x) = m.iter().next().expect("one member");
    Ok(match k.as_str() {
        "inner" => Shape::Inner(inner_from_json(x, k)?),
        "name" => Shape::Name(get_str(x, k)?),
        "radius" => Shape::Radius(get_f64(x, k)?),
        _ => bail!("{what}: unknown member {k}"),
    })
}

fn base_from_json(v: &Value, what: &str) -> Result<Base> {
    let m = obj(v, what)?;
    Ok(Base {
        log_id: opt(m, "LogID", get_str)?,
        caller: opt(m, "Caller", get_str)?,
        addr: opt(m, "Addr", get_str)?,
        client: opt(m, "Client", get_str)?,
        extra: opt(m, "Extra", str_str_map)?,
    })
}

pub fn request_from_json(v: &Value) -> Result<EchoRequest> {
    let m = obj(v, "req")?;
    let known = [
        "message", "action", "flag", "b", "tiny", "small", "medium", "big", "ratio", "blob",
        "ints", "tags", "counts", "names_by_id", "inners", "nested", "color", "seq", "shape",
        "inner", "note", "level", "Base",
    ];
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        bail!("req: unknown field {k}");
    }
    Ok(EchoRequest {
        message: get_str(m.get("message").context("req: missing required message")?, "message")?,
        action: opt(m, "action", get_str)?,
        flag: opt(m, "flag", get_bool)?,
        b: opt(m, "b", get_int)?,
        tiny: opt(m, "tiny", get_int)?,
        small: opt(m, "small", get_int)?,
        medium: opt(m, "medium", get_int)?,
        big: opt(m, "big", |v, w| get_i64(v, w))?,
        ratio: opt(m, "ratio", get_f64)?,
        blob: opt(m, "blob", |v, w| {
            let text = v.as_str().ok_or_else(|| anyhow!("{w}: expected base64 text"))?;
            Ok(Bytes::from(STANDARD.decode(text).with_context(|| format!("{w}: bad base64"))?))
        })?,
        ints: opt(m, "ints", |v, w| get_arr(v, w)?.iter().map(|x| get_int(x, w)).collect())?,
        tags: opt(m, "tags", |v, w| get_arr(v, w)?.iter().map(|x| get_str(x, w)).collect())?,
        counts: opt(m, "counts", |v, w| {
            obj(v, w)?.iter().map(|(k, x)| Ok((FastStr::new(k), get_i64(x, w)?))).collect()
        })?,
        names_by_id: opt(m, "names_by_id", |v, w| {
            obj(v, w)?
                .iter()
                .map(|(k, x)| {
                    let key: i64 = k.parse().with_context(|| format!("{w}: key {k} is no i64"))?;
                    Ok((key, get_str(x, w)?))
                })
                .collect()
        })?,
        inners: opt(m, "inners", |v, w| {
            obj(v, w)?
                .iter()
                .map(|(k, x)| Ok((FastStr::new(k), inner_from_json(x, w)?)))
                .collect()
        })?,
        nested: opt(m, "nested", |v, w| {
            get_arr(v, w)?
                .iter()
                .map(|mm| {
                    obj(mm, w)?
                        .iter()
                        .map(|(k, x)| {
                            let list: Result<Vec<i32>> =
                                get_arr(x, w)?.iter().map(|i| get_int(i, w)).collect();
                            Ok((FastStr::new(k), list?))
                        })
                        .collect()
                })
                .collect()
        })?,
        color: opt(m, "color", |v, w| Ok(Color::from(get_int::<i32>(v, w)?)))?,
        seq: opt(m, "seq", |v, w| Ok(SeqId(get_i64(v, w)?)))?,
        shape: opt(m, "shape", shape_from_json)?,
        inner: opt(m, "inner", inner_from_json)?,
        note: opt(m, "note", get_str)?,
        level: opt(m, "level", get_int)?,
        base: opt(m, "Base", base_from_json)?,
    })
}

// ---------------------------------------------------------------- script helpers

/// Expands the script macros (`{"$repeat": S, "times": N}`, `{"$range": [A, B]}`) and
/// replaces every string equal to `"$EVENT"` with `event`.
pub fn expand(v: &Value, event: &str) -> Result<Value> {
    Ok(match v {
        Value::String(x) if x == "$EVENT" => Value::String(event.to_owned()),
        Value::Array(items) => {
            Value::Array(items.iter().map(|x| expand(x, event)).collect::<Result<_>>()?)
        }
        Value::Object(m) if m.contains_key("$repeat") => {
            let text = m["$repeat"].as_str().context("$repeat needs a string")?;
            let times = m.get("times").and_then(Value::as_u64).context("$repeat needs times")?;
            Value::String(text.repeat(times as usize))
        }
        Value::Object(m) if m.contains_key("$range") => {
            let ends = m["$range"].as_array().context("$range needs [start, end]")?;
            let (Some(a), Some(b)) = (ends.first().and_then(Value::as_i64), ends.get(1).and_then(Value::as_i64))
            else {
                bail!("$range needs [start, end]");
            };
            Value::Array((a..b).map(|i| json!(i)).collect())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), expand(x, event)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

/// JSON equality where numbers compare by value (`2` equals `2.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}
