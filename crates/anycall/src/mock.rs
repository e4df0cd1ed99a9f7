//! Answers for a mock server: canned replies, echo, or values built from the IDL.
//!
//! A mock file maps `Service/Method` (or just `Method`) to a reply:
//!
//! ```json
//! {
//!   "EchoService/Echo": {"message": "canned"},
//!   "EchoService/Add": 42,
//!   "EchoService/Fail": {"exception": "err", "value": {"code": 7}},
//!   "EchoService/Gone": {"biz_status": {"code": 404, "message": "not found", "extra": {"id": "7"}}}
//! }
//! ```
//!
//! An object with exactly the keys `exception` and `value` is a declared
//! exception (by its field name in the `throws` clause); one with the single
//! key `biz_status` is a Kitex business status error (`extra` optional,
//! string values); anything else is the success value.

use std::collections::HashMap;

use anycall_codec::call::{Reply, single_struct_param};
use anycall_codec::dynamic::value::{example_value, write_value};
use anycall_codec::thrift::BinaryWriter;
use anycall_codec::{Name, Options, Struct, Value};
use anycall_idl::{FieldDescriptor, MethodDescriptor, StructDescriptor, TypeDescriptor, TypeKind};
use anycall_rpc::BizStatus;
use anyhow::{Context as _, anyhow, bail};

/// Canned replies by method.
#[derive(Debug, Clone, Default)]
pub struct MockBook {
    replies: HashMap<String, Canned>,
}

/// One canned answer: a reply (JSON values), or a business status error.
#[derive(Debug, Clone, PartialEq)]
pub enum Canned {
    /// A success value, void or declared exception, as JSON text.
    Reply(Reply<String>),
    /// A Kitex business status error.
    BizStatus(BizStatus),
}

impl MockBook {
    /// Parses a mock file's JSON text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let doc: serde_json::Value = serde_json::from_str(text).context("mock file is not JSON")?;
        let serde_json::Value::Object(map) = doc else {
            bail!("mock file must be a JSON object keyed by \"Service/Method\"");
        };
        let mut replies = HashMap::with_capacity(map.len());
        for (key, value) in map {
            let reply = match &value {
                serde_json::Value::Object(o)
                    if o.len() == 2 && o.contains_key("exception") && o.contains_key("value") =>
                {
                    let name = o["exception"]
                        .as_str()
                        .ok_or_else(|| anyhow!("{key}: \"exception\" must be a field name"))?;
                    Reply::Exception {
                        name: name.to_owned(),
                        value: o["value"].to_string(),
                    }
                }
                serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("biz_status") => {
                    replies.insert(
                        key.clone(),
                        Canned::BizStatus(biz_status(&key, &o["biz_status"])?),
                    );
                    continue;
                }
                serde_json::Value::Null => Reply::Void,
                other => Reply::Success(other.to_string()),
            };
            let reply = Canned::Reply(reply);
            replies.insert(key, reply);
        }
        Ok(Self { replies })
    }

    /// Checks every entry against the IDL: the method exists, the exception is declared.
    pub fn check(&self, pool: &anycall_idl::Pool) -> anyhow::Result<()> {
        for (key, reply) in &self.replies {
            let method = find_method(pool, key)
                .ok_or_else(|| anyhow!("mock entry `{key}`: no such method in the IDL"))?;
            if let Canned::Reply(Reply::Exception { name, .. }) = reply
                && !method.exceptions().any(|f| f.name() == name)
            {
                bail!(
                    "mock entry `{key}`: `{}` declares no exception `{name}`",
                    method.name()
                );
            }
        }
        Ok(())
    }

    /// The canned reply for a method of a service, if any.
    pub fn reply(&self, service: &str, method: &str) -> Option<&Canned> {
        self.replies
            .get(&format!("{service}/{method}"))
            .or_else(|| self.replies.get(method))
    }
}

/// `{"code": i32, "message": string, "extra": {string: string}}`, the
/// last two optional.
fn biz_status(key: &str, v: &serde_json::Value) -> anyhow::Result<BizStatus> {
    let o = v
        .as_object()
        .ok_or_else(|| anyhow!("{key}: \"biz_status\" must be an object with a code"))?;
    if let Some(unknown) = o
        .keys()
        .find(|k| !["code", "message", "extra"].contains(&k.as_str()))
    {
        bail!("{key}: biz_status has an unknown key {unknown:?} (code, message, extra)");
    }
    let code = o
        .get("code")
        .and_then(serde_json::Value::as_i64)
        .and_then(|c| i32::try_from(c).ok())
        .ok_or_else(|| anyhow!("{key}: biz_status.code must be an i32"))?;
    let message = match o.get("message") {
        None => "",
        Some(m) => m
            .as_str()
            .ok_or_else(|| anyhow!("{key}: biz_status.message must be a string"))?,
    };
    let mut biz = BizStatus::new(code, message);
    if let Some(extra) = o.get("extra") {
        let extra = extra
            .as_object()
            .ok_or_else(|| anyhow!("{key}: biz_status.extra must be an object of strings"))?;
        for (k, v) in extra {
            let v = v
                .as_str()
                .ok_or_else(|| anyhow!("{key}: biz_status.extra[{k:?}] must be a string"))?;
            biz = biz.with_extra(k.clone(), v);
        }
    }
    Ok(biz)
}

fn find_method<'p>(pool: &'p anycall_idl::Pool, key: &str) -> Option<MethodDescriptor<'p>> {
    match key.split_once('/') {
        Some((svc, m)) => pool.service(svc)?.method(m),
        None => pool.services().find_map(|s| s.method(key)),
    }
}

/// A reply built from the IDL alone: defaults and zero values.
pub fn example_reply(method: MethodDescriptor<'_>) -> Reply<Value> {
    match method.returns() {
        Some(ty) => Reply::Success(example_value(ty)),
        None => Reply::Void,
    }
}

/// A generic echo: the return value takes each field of the request whose
/// name and type match a field of the result type; the rest comes from
/// [`example_reply`]. A non-struct return value is taken from a request
/// field (or parameter) of the same type, when there is one.
pub fn echo_reply(method: MethodDescriptor<'_>, request: &Value) -> Reply<Value> {
    echo(method, request.clone(), None)
}

/// [`echo_reply`] for a request, taken by value, as the decoder read
/// `method`'s arguments under `opts` (the struct parameter alone, or the arguments
/// by name; see [`single_struct_param`]): every value has its declared
/// type, so a request field whose type has the same shape as the result
/// field is copied without checking its value.
pub fn echo_reply_decoded(
    method: MethodDescriptor<'_>,
    request: Value,
    opts: &Options,
) -> Reply<Value> {
    let shape = single_struct_param(method, opts)
        .and_then(|p| p.ty().as_struct())
        .unwrap_or_else(|| method.args());
    let mut request = request;
    if let (Some(out), Value::Struct(fields)) =
        (method.returns().and_then(|t| t.as_struct()), &mut request)
        && let Some(reply) = echo_same_shapes(shape, out, fields)
    {
        return Reply::Success(Value::Struct(reply));
    }
    echo(method, request, Some(shape))
}

/// The common echo, without searching values: every result field either
/// has a request field of the same name and shape (used once), or is
/// optional without a default and has no namesake anywhere in the request
/// type. `None` (nothing taken) when the echo needs the general rules.
fn echo_same_shapes(
    req: StructDescriptor<'_>,
    out: StructDescriptor<'_>,
    fields: &mut Struct,
) -> Option<Struct> {
    // Where each request field is in `fields`, by request field index.
    const ABSENT: usize = usize::MAX;
    const USED: usize = usize::MAX - 1;
    let mut present = vec![ABSENT; req.len()];
    for (at, (name, _)) in fields.iter().enumerate() {
        present[req.field_by_name(name)?.index()] = at;
    }
    // Where each result field comes from.
    let mut from = Vec::with_capacity(out.len());
    for f in out.fields() {
        let source = req
            .field_by_name(f.json_name())
            .filter(|g| present[g.index()] != ABSENT);
        match source {
            Some(g) if g.ty().same_shape(f.ty()) && present[g.index()] != USED => {
                from.push(Some(std::mem::replace(&mut present[g.index()], USED)));
            }
            Some(_) => return None,
            None => {
                let namesake = |d: &StructDescriptor<'_>| {
                    d.field_by_name(f.json_name()).is_some() || d.field_by_name(f.name()).is_some()
                };
                if !f.is_optional()
                    || f.default_value().is_some()
                    || req.field_by_name(f.name()).is_some()
                    || req
                        .fields()
                        .filter_map(|g| g.ty().as_struct())
                        .any(|d| namesake(&d))
                {
                    return None;
                }
                from.push(None);
            }
        }
    }
    let mut taken: Vec<Option<(Name, Value)>> =
        std::mem::take(fields).into_iter().map(Some).collect();
    let mut reply = Struct::with_capacity(out.len());
    // As the general echo orders them: fields that are not optional or
    // have a default first, then the optional ones.
    for pass in [true, false] {
        for (f, at) in out.fields().zip(&from) {
            let in_example = f.default_value().is_some() || !f.is_optional();
            if in_example != pass {
                continue;
            }
            let Some((name, v)) = at.and_then(|at| taken[at].take()) else {
                continue;
            };
            if name == f.json_name() {
                reply.push(name, v);
            } else {
                reply.push(f.json_name(), v);
            }
        }
    }
    Some(reply)
}

/// The echo; `decoded` is the descriptor the request was read with, if it
/// was read by the decoder.
fn echo(
    method: MethodDescriptor<'_>,
    request: Value,
    decoded: Option<StructDescriptor<'_>>,
) -> Reply<Value> {
    let Some(ty) = method.returns() else {
        return Reply::Void;
    };
    let mut top: Vec<(Name, Option<Value>)> = match request {
        Value::Struct(s) => s.into_iter().map(|(k, v)| (k, Some(v))).collect(),
        _ => Vec::new(),
    };
    let TypeKind::Struct(s) = ty.kind() else {
        let found = sources(&top)
            .iter()
            .flat_map(|src| src.fields())
            .find(|(_, v)| fits(ty, v))
            .map(|(_, v)| v.clone());
        return Reply::Success(found.unwrap_or_else(|| example_value(ty)));
    };

    // Where each result field comes from: the first source with a field of
    // that name (JSON name, else IDL name) whose value fits.
    // For a decoded request, the descriptor of each source, in the order
    // of `sources`: the arguments, then each struct argument.
    let described: Vec<Option<StructDescriptor<'_>>> = if let Some(args) = decoded {
        std::iter::once(Some(args))
            .chain(top.iter().filter_map(|(name, v)| match v {
                Some(Value::Struct(_)) => {
                    Some(args.field_by_name(name).and_then(|f| f.ty().as_struct()))
                }
                _ => None,
            }))
            .collect()
    } else {
        Vec::new()
    };
    let picks: Vec<Option<Pick>> = {
        let mut sources = sources(&top);
        s.fields()
            .map(|f| {
                sources.iter_mut().enumerate().find_map(|(src, fields)| {
                    let (at, name, v) = fields
                        .find(f.json_name())
                        .or_else(|| fields.find(f.name()))?;
                    let same = described
                        .get(src)
                        .copied()
                        .flatten()
                        .and_then(|d| d.field_by_name(name))
                        .is_some_and(|g| g.ty().same_shape(f.ty()));
                    (same || fits(f.ty(), v)).then_some(Pick { src, at })
                })
            })
            .collect()
    };
    // Values from nested structs, and all but the last use of a field, are
    // cloned first; then the rest is moved out of the request.
    let mut values: Vec<Option<Value>> = picks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p.as_ref()?;
            (p.src > 0 || picks[i + 1..].contains(&Some(*p)))
                .then(|| sources(&top)[p.src].nth(p.at).map(|(_, v)| v.clone()))
                .flatten()
        })
        .collect();
    // Moved fields keep their name strings when they match the JSON name.
    let mut names: Vec<Option<Name>> = vec![None; picks.len()];
    for ((f, slot), (name, p)) in s
        .fields()
        .zip(values.iter_mut())
        .zip(names.iter_mut().zip(&picks))
    {
        if let (None, Some(Pick { src: 0, at })) = (&slot, p) {
            let (key, value) = &mut top[*at];
            *slot = value.take();
            if key == f.json_name() {
                *name = Some(std::mem::take(key));
            }
        }
    }

    // The example value holds the fields that are not optional or have a
    // default; build it only when one of them was not copied.
    let in_example = |f: &FieldDescriptor<'_>| f.default_value().is_some() || !f.is_optional();
    let example = s
        .fields()
        .zip(&values)
        .any(|(f, v)| v.is_none() && in_example(&f))
        .then(|| example_value(ty));
    let example = match &example {
        Some(Value::Struct(e)) => Some(e),
        _ => None,
    };
    // Distinct JSON names (the usual case) can be appended without a search.
    let distinct = s
        .fields()
        .all(|f| s.field_by_name(f.json_name()).map(|g| g.index()) == Some(f.index()));
    let mut out = Struct::with_capacity(s.len());
    let put = |out: &mut Struct, f: &FieldDescriptor<'_>, name: Option<Name>, v: Value| {
        let name = name.unwrap_or_else(|| Name::from(f.json_name()));
        if distinct {
            out.push(name, v);
        } else {
            out.insert(name, v);
        }
    };
    // The example's fields in order, then copied fields it lacks.
    let mut rest = Vec::new();
    for ((f, v), name) in s.fields().zip(values).zip(names) {
        match v {
            Some(v) if in_example(&f) => put(&mut out, &f, name, v),
            Some(v) => rest.push((f, name, v)),
            None if in_example(&f) => {
                if let Some(v) = example.and_then(|e| e.get(f.json_name())) {
                    put(&mut out, &f, None, v.clone());
                }
            }
            None => {}
        }
    }
    for (f, name, v) in rest {
        put(&mut out, &f, name, v);
    }
    Reply::Success(Value::Struct(out))
}

/// A request field an echo copies: source `src` of [`sources`], field `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pick {
    src: usize,
    at: usize,
}

/// The fields of one source struct, searched from where the last match
/// was: requests and results usually list their fields in the same order.
enum Fields<'a> {
    /// The request itself (moved-out values are `None`).
    Top(&'a [(Name, Option<Value>)], usize),
    /// A struct inside it.
    Nested(&'a Struct),
}

impl<'a> Fields<'a> {
    /// The position, name and value of the field called `name`.
    fn find(&mut self, name: &str) -> Option<(usize, &'a str, &'a Value)> {
        match self {
            Fields::Top(fields, next) => {
                let n = fields.len();
                let hit = (0..n)
                    .map(|i| (*next + i) % n)
                    .find(|&i| fields[i].0 == name)?;
                *next = hit + 1;
                let (k, v) = &fields[hit];
                v.as_ref().map(|v| (hit, k.as_str(), v))
            }
            Fields::Nested(s) => s
                .iter()
                .enumerate()
                .find(|(_, (k, _))| *k == name)
                .map(|(i, (k, v))| (i, k, v)),
        }
    }

    fn nth(&self, at: usize) -> Option<(&'a str, &'a Value)> {
        match self {
            Fields::Top(fields, _) => fields
                .get(at)
                .and_then(|(k, v)| Some((k.as_str(), v.as_ref()?))),
            Fields::Nested(s) => s.iter().nth(at),
        }
    }

    fn fields(&self) -> Vec<(&'a str, &'a Value)> {
        match self {
            Fields::Top(fields, _) => fields
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_ref()?)))
                .collect(),
            Fields::Nested(s) => s.iter().collect(),
        }
    }
}

/// Structs to copy from: the request itself, and each struct inside it
/// (the parameters of a keyed request).
fn sources(request: &[(Name, Option<Value>)]) -> Vec<Fields<'_>> {
    let mut out = vec![Fields::Top(request, 0)];
    for (_, v) in request {
        if let Some(Value::Struct(inner)) = v {
            out.push(Fields::Nested(inner));
        }
    }
    out
}

/// Whether `v` can be written as type `ty` under strict rules.
fn fits(ty: TypeDescriptor<'_>, v: &Value) -> bool {
    exact(ty, v, 0) || encodes(ty, v)
}

/// Deepest value [`exact`] looks into before leaving it to [`encodes`].
const EXACT_DEPTH: usize = 32;

/// A quick, sufficient test: `v` has exactly the shape a decoder gives for
/// `ty` (the variant of each type, every struct field known, given once,
/// every required field present), so it encodes without conversions.
/// `false` only means "not sure".
fn exact(ty: TypeDescriptor<'_>, v: &Value, depth: usize) -> bool {
    if depth > EXACT_DEPTH {
        return false;
    }
    match (ty.kind(), v) {
        (TypeKind::Bool, Value::Bool(_))
        | (TypeKind::Byte, Value::I8(_))
        | (TypeKind::I16, Value::I16(_))
        | (TypeKind::I32 | TypeKind::Enum(_), Value::I32(_))
        | (TypeKind::I64, Value::I64(_))
        | (TypeKind::Double, Value::Double(_))
        | (TypeKind::String, Value::String(_))
        | (TypeKind::Binary, Value::Binary(_))
        | (TypeKind::Uuid, Value::Uuid(_)) => true,
        (TypeKind::List(e), Value::List(items)) | (TypeKind::Set(e), Value::Set(items)) => {
            items.iter().all(|i| exact(e, i, depth + 1))
        }
        (TypeKind::Map(k, t), Value::Map(pairs)) => pairs
            .iter()
            .all(|(a, b)| exact(k, a, depth + 1) && exact(t, b, depth + 1)),
        (TypeKind::Struct(s), Value::Struct(fields)) => {
            if s.len() > 128 {
                return false;
            }
            let mut seen = 0u128;
            for (name, v) in fields.iter() {
                let Some(f) = s.field_by_name(name) else {
                    return false;
                };
                let bit = 1u128 << f.index();
                if seen & bit != 0 || !exact(f.ty(), v, depth + 1) {
                    return false;
                }
                seen |= bit;
            }
            s.required_fields()
                .all(|f| seen & (1u128 << f.index()) != 0)
        }
        _ => false,
    }
}

/// The exact test: encode `v` as `ty` into a scratch buffer.
fn encodes(ty: TypeDescriptor<'_>, v: &Value) -> bool {
    let mut scratch = bytes::BytesMut::new();
    write_value(
        &mut BinaryWriter::new(&mut scratch),
        ty,
        v,
        &Options::default(),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDL: &str = r#"
        struct Req { 1: string message, 2: i32 times, 3: list<i64> ids }
        struct Resp { 1: string message, 2: i64 times, 3: string extra = "x", 4: optional bool flag }
        exception Oops { 1: i32 code }
        service S {
            Resp Echo(1: Req req) throws (1: Oops oops)
            i64 Add(1: i32 a, 2: i64 b)
            void Ping()
        }"#;

    #[test]
    fn echo_copies_matching_fields() {
        let pool = anycall_idl::Pool::from_source("s.thrift", IDL).unwrap();
        let echo = pool.service("S").unwrap().method("Echo").unwrap();
        let req = Value::structure([
            ("message", Value::String("hi".into())),
            ("times", Value::I32(3)),
            ("ids", Value::List(vec![Value::I64(1)])),
        ]);
        assert_eq!(
            echo_reply(echo, &req),
            Reply::Success(Value::structure([
                ("message", Value::String("hi".into())),
                ("times", Value::I32(3)),
                ("extra", Value::String("x".into())),
            ]))
        );
        let add = pool.service("S").unwrap().method("Add").unwrap();
        let req = Value::structure([("a", Value::I32(1)), ("b", Value::I64(2))]);
        assert_eq!(echo_reply(add, &req), Reply::Success(Value::I32(1)));
        let ping = pool.service("S").unwrap().method("Ping").unwrap();
        assert_eq!(echo_reply(ping, &Value::Struct(Struct::new())), Reply::Void);
    }

    #[test]
    fn echo_copies_only_fields_that_encode() {
        let pool = anycall_idl::Pool::from_source(
            "n.thrift",
            r#"
            struct P { 1: required i32 x, 2: optional list<i64> ys }
            struct Req { 1: P p, 2: string n, 3: map<string, P> ps }
            struct Resp { 1: P p, 2: i64 n, 3: map<string, P> ps, 4: optional P q }
            service S { Resp Echo(1: Req req) }"#,
        )
        .unwrap();
        let echo = pool.service("S").unwrap().method("Echo").unwrap();
        let p = |x| {
            Value::structure([
                ("x", Value::I32(x)),
                ("ys", Value::List(vec![Value::I64(1)])),
            ])
        };
        // Exact shapes are copied; a string for an i64 and a struct without
        // its required field are not (example values instead).
        let req = Value::structure([
            ("p", Value::structure([("ys", Value::List(vec![]))])),
            ("n", Value::String("x".into())),
            ("ps", Value::Map(vec![(Value::String("a".into()), p(1))])),
            ("q", p(2)),
        ]);
        assert_eq!(
            echo_reply(echo, &req),
            Reply::Success(Value::structure([
                ("p", Value::structure([("x", Value::I32(0))])),
                ("n", Value::I64(0)),
                ("ps", Value::Map(vec![(Value::String("a".into()), p(1))])),
                ("q", p(2)),
            ]))
        );
    }

    #[test]
    fn echo_of_a_decoded_request_matches_the_checked_echo() {
        use anycall_codec::Limits;
        use anycall_codec::call::{decode_struct_value, encode_struct_value};
        use anycall_codec::thrift::Protocol;

        let pool = anycall_idl::Pool::from_source(
            "d.thrift",
            r#"
            typedef list<i64> Ids
            enum E { A = 1, B = 2 }
            struct P { 1: required i32 x, 2: optional Ids ys }
            struct Req { 1: P p, 2: i32 n, 3: map<string, P> ps, 4: list<i64> ids, 5: E e, 6: string s }
            struct Resp { 1: P p, 2: i64 n, 3: map<string, P> ps, 4: Ids ids, 5: E e, 6: binary s, 7: optional P q }
            service S { Resp Echo(1: Req req, 2: P q), Resp One(1: Req req), Req Same(1: Req req) }"#,
        )
        .unwrap();
        let echo = pool.service("S").unwrap().method("Echo").unwrap();
        let p = |x| {
            Value::structure([
                ("x", Value::I32(x)),
                ("ys", Value::List(vec![Value::I64(x.into())])),
            ])
        };
        let args = Value::structure([
            (
                "req",
                Value::structure([
                    ("p", p(1)),
                    ("n", Value::I32(5)),
                    ("ps", Value::Map(vec![(Value::String("k".into()), p(2))])),
                    ("ids", Value::List(vec![Value::I64(7), Value::I64(8)])),
                    ("e", Value::I32(2)),
                    ("s", Value::String("text".into())),
                ]),
            ),
            ("q", p(3)),
        ]);
        let mut wire = bytes::BytesMut::new();
        let opts = Options::default();
        let args = args.as_struct().unwrap();
        encode_struct_value(echo.args(), args, Protocol::Binary, &opts, &mut wire).unwrap();
        let decoded = decode_struct_value(
            echo.args(),
            &wire,
            Protocol::Binary,
            &opts,
            &Limits::default(),
        )
        .unwrap();
        let decoded = Value::Struct(decoded);
        let checked = echo_reply(echo, &decoded);
        assert_eq!(echo_reply_decoded(echo, decoded.clone(), &opts), checked);
        // i32 -> i64 and string -> binary are copied after a check; the
        // rest by shape.
        let Reply::Success(Value::Struct(out)) = checked else {
            panic!("{checked:?}");
        };
        assert_eq!(out.get("n"), Some(&Value::I32(5)));
        assert_eq!(out.get("q"), Some(&p(3)));
        assert_eq!(
            out.get("ids"),
            Some(&Value::List(vec![Value::I64(7), Value::I64(8)]))
        );

        // One struct parameter: the request is that struct.
        let one = pool.service("S").unwrap().method("One").unwrap();
        let Some(Value::Struct(req)) = decoded_args(&decoded, "req") else {
            panic!("no req in {decoded:?}");
        };
        let req = Value::Struct(req);
        let checked = echo_reply(one, &req);
        assert_eq!(echo_reply_decoded(one, req.clone(), &opts), checked);
        let Reply::Success(Value::Struct(out)) = checked else {
            panic!("{checked:?}");
        };
        assert_eq!(out.get("p"), Some(&p(1)));
        assert_eq!(out.get("e"), Some(&Value::I32(2)));

        // The same type back: every field is copied by shape.
        let same = pool.service("S").unwrap().method("Same").unwrap();
        let checked = echo_reply(same, &req);
        assert_eq!(echo_reply_decoded(same, req.clone(), &opts), checked);
        assert_eq!(checked, Reply::Success(req));
    }

    fn decoded_args(args: &Value, name: &str) -> Option<Value> {
        args.as_struct()?.get(name).cloned()
    }

    #[test]
    fn echo_takes_fields_from_parameters_and_reuses_them() {
        let pool = anycall_idl::Pool::from_source(
            "k.thrift",
            r#"
            struct Req { 1: i32 times, 2: string message }
            struct Resp { 1: Req req, 2: i32 times, 3: Req again }
            service S { Resp M(1: Req req, 2: string note) }"#,
        )
        .unwrap();
        let m = pool.service("S").unwrap().method("M").unwrap();
        let req = Value::structure([
            ("times", Value::I32(3)),
            ("message", Value::String("m".into())),
        ]);
        let keyed = Value::structure([("req", req.clone()), ("note", Value::String("n".into()))]);
        // `times` comes from inside the `req` parameter, which is also
        // copied whole; `again` has no source and gets its example value.
        assert_eq!(
            echo_reply(m, &keyed),
            Reply::Success(Value::structure([
                ("req", req),
                ("times", Value::I32(3)),
                (
                    "again",
                    Value::structure([
                        ("times", Value::I32(0)),
                        ("message", Value::String(Default::default())),
                    ])
                ),
            ]))
        );
    }

    #[test]
    fn mock_book_parses_and_checks() {
        let pool = anycall_idl::Pool::from_source("s.thrift", IDL).unwrap();
        let book = MockBook::parse(
            r#"{"S/Echo": {"exception": "oops", "value": {"code": 7}}, "Add": 42, "S/Ping": null}"#,
        )
        .unwrap();
        book.check(&pool).unwrap();
        assert_eq!(
            book.reply("S", "Add"),
            Some(&Canned::Reply(Reply::Success("42".into())))
        );
        assert_eq!(book.reply("S", "Ping"), Some(&Canned::Reply(Reply::Void)));
        assert!(
            matches!(book.reply("S", "Echo"), Some(Canned::Reply(Reply::Exception { name, .. })) if name == "oops")
        );
        let bad = MockBook::parse(r#"{"S/Echo": {"exception": "nope", "value": {}}}"#).unwrap();
        assert!(bad.check(&pool).unwrap_err().to_string().contains("nope"));
        assert!(MockBook::parse("[1]").is_err());
    }

    #[test]
    fn mock_book_biz_status() {
        let book = MockBook::parse(
            r#"{"Add": {"biz_status": {"code": 7, "message": "m", "extra": {"k": "v"}}},
                "Ping": {"biz_status": {"code": -1}}}"#,
        )
        .unwrap();
        assert_eq!(
            book.reply("S", "Add"),
            Some(&Canned::BizStatus(
                BizStatus::new(7, "m").with_extra("k", "v")
            ))
        );
        assert_eq!(
            book.reply("S", "Ping"),
            Some(&Canned::BizStatus(BizStatus::new(-1, "")))
        );
        for (bad, why) in [
            (
                r#"{"Add": {"biz_status": {"message": "m"}}}"#,
                "code must be an i32",
            ),
            (
                r#"{"Add": {"biz_status": {"code": 3000000000}}}"#,
                "code must be an i32",
            ),
            (
                r#"{"Add": {"biz_status": {"code": 1, "extra": {"k": 1}}}}"#,
                r#"extra["k"] must be a string"#,
            ),
            (
                r#"{"Add": {"biz_status": {"code": 1, "msg": "m"}}}"#,
                r#"unknown key "msg""#,
            ),
        ] {
            let err = MockBook::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
