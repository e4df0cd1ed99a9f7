//! Answers for a mock server: canned replies, echo, or values built from the IDL.
//!
//! A mock file maps `Service/Method` (or just `Method`) to a reply:
//!
//! ```json
//! {
//!   "EchoService/Echo": {"message": "canned"},
//!   "EchoService/Add": 42,
//!   "EchoService/Fail": {"exception": "err", "value": {"code": 7}}
//! }
//! ```
//!
//! An object with exactly the keys `exception` and `value` is a declared
//! exception (by its field name in the `throws` clause); anything else is
//! the success value.

use std::collections::HashMap;

use anycall_codec::call::Reply;
use anycall_codec::dynamic::value::{example_value, write_value};
use anycall_codec::thrift::BinaryWriter;
use anycall_codec::{Options, Struct, Value};
use anycall_idl::{MethodDescriptor, TypeDescriptor, TypeKind};
use anyhow::{Context as _, anyhow, bail};

/// Canned replies by method.
#[derive(Debug, Clone, Default)]
pub struct MockBook {
    replies: HashMap<String, Reply<String>>,
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
                serde_json::Value::Null => Reply::Void,
                other => Reply::Success(other.to_string()),
            };
            replies.insert(key, reply);
        }
        Ok(Self { replies })
    }

    /// Checks every entry against the IDL: the method exists, the exception is declared.
    pub fn check(&self, pool: &anycall_idl::Pool) -> anyhow::Result<()> {
        for (key, reply) in &self.replies {
            let method = find_method(pool, key)
                .ok_or_else(|| anyhow!("mock entry `{key}`: no such method in the IDL"))?;
            if let Reply::Exception { name, .. } = reply
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
    pub fn reply(&self, service: &str, method: &str) -> Option<&Reply<String>> {
        self.replies
            .get(&format!("{service}/{method}"))
            .or_else(|| self.replies.get(method))
    }
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
    let Some(ty) = method.returns() else {
        return Reply::Void;
    };
    let sources = sources(request);
    let value = match ty.kind() {
        TypeKind::Struct(s) => {
            let Value::Struct(mut out) = example_value(ty) else {
                unreachable!("example of a struct type is a struct");
            };
            for f in s.fields() {
                if let Some(v) = sources.iter().find_map(|src| {
                    src.get(f.json_name())
                        .or_else(|| src.get(f.name()))
                        .filter(|v| fits(f.ty(), v))
                }) {
                    out.insert(f.json_name(), v.clone());
                }
            }
            Value::Struct(out)
        }
        _ => sources
            .iter()
            .flat_map(|s| s.iter().map(|(_, v)| v))
            .find(|v| fits(ty, v))
            .cloned()
            .unwrap_or_else(|| example_value(ty)),
    };
    Reply::Success(value)
}

/// Structs to copy from: the request itself, and each struct inside it
/// (the parameters of a keyed request).
fn sources(request: &Value) -> Vec<&Struct> {
    let mut out = Vec::new();
    if let Value::Struct(s) = request {
        out.push(s);
        for (_, v) in s.iter() {
            if let Value::Struct(inner) = v {
                out.push(inner);
            }
        }
    }
    out
}

/// Whether `v` can be written as type `ty` under strict rules.
fn fits(ty: TypeDescriptor<'_>, v: &Value) -> bool {
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
    fn mock_book_parses_and_checks() {
        let pool = anycall_idl::Pool::from_source("s.thrift", IDL).unwrap();
        let book = MockBook::parse(
            r#"{"S/Echo": {"exception": "oops", "value": {"code": 7}}, "Add": 42, "S/Ping": null}"#,
        )
        .unwrap();
        book.check(&pool).unwrap();
        assert_eq!(book.reply("S", "Add"), Some(&Reply::Success("42".into())));
        assert_eq!(book.reply("S", "Ping"), Some(&Reply::Void));
        assert!(
            matches!(book.reply("S", "Echo"), Some(Reply::Exception { name, .. }) if name == "oops")
        );
        let bad = MockBook::parse(r#"{"S/Echo": {"exception": "nope", "value": {}}}"#).unwrap();
        assert!(bad.check(&pool).unwrap_err().to_string().contains("nope"));
        assert!(MockBook::parse("[1]").is_err());
    }
}
