//! Mapping plans built once per method from its `api.*` annotations: where
//! each request field comes from, where each response field goes.
//!
//! Field annotations (request → Thrift, Thrift → response):
//!
//! | annotation | request | response |
//! |---|---|---|
//! | `api.path = 'k'` | route parameter `:k` / `*k` | dropped |
//! | `api.query = 'k'` | query value; lists from repeated keys and commas | dropped |
//! | `api.header = 'k'` | request header | response header (lists comma-joined) |
//! | `api.cookie = 'k'` | request cookie | `Set-Cookie: k=v` |
//! | `api.body = 'k'` | key `k` of the JSON (or form) body | key `k` of the JSON body |
//! | `api.form = 'k'` | form field `k` (urlencoded or multipart body) | key in the body |
//! | `api.raw_body` | the whole body (string or binary) | dropped |
//! | `api.raw_uri` | the request URI (path and query) | dropped |
//! | `api.http_code` | — | the status code |
//! | `api.none` | not bound | dropped |
//! | `api.js_conv` | i64 from a string (always accepted) | i64 rendered as a string |
//! | `api.source = 'not_body_struct'`, `api.no_body_struct` | the struct is bound field by field from the HTTP sources | — |
//! | `api.key = 'k'` / `go.tag` json name | the JSON key | the JSON key |
//! | `agw.source` / `janus.source` | `query`, `header`, `cookie`, `body`, `post` (form), `path`, `raw_uri`, `raw_body`, `not_body_struct` | — |
//! | `agw.target` / `janus.target` | — | `header`, `body`, `cookie`, `http_code`, `ignore` |
//!
//! Custom annotations registered with
//! [`GatewayBuilder::annotation`](crate::GatewayBuilder::annotation) are read
//! first, as the [`Mapping`] they name.
//!
//! Unannotated fields bind from the JSON body by name (or `go.tag` alias),
//! for every HTTP method. A field whose HTTP sources are all absent (or
//! empty) falls back to the body key of its JSON name.

use anycall_codec::thrift::TType;
use anycall_idl::{
    FieldDescriptor, FileDescriptor, MethodDescriptor, StructDescriptor, StructId, TypeDescriptor,
    TypeKind,
};
use http::HeaderName;

use crate::error::Error;

/// Deepest nesting of structs bound from HTTP sources.
pub(crate) const MAX_PLAN_DEPTH: usize = 8;

/// How a text value (query, header, path, cookie, form) becomes JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    Bool,
    Int {
        min: i64,
        max: i64,
        name: &'static str,
    },
    Double,
    Str,
    Binary,
    Uuid,
    Enum,
    /// A map or struct: the text must be JSON.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    One(Scalar),
    List(Scalar),
}

/// A non-body source of a request field.
#[derive(Debug, Clone)]
pub(crate) enum Src {
    Path(String),
    Query(String),
    Header(HeaderName),
    Cookie(String),
    Form(String),
    RawBody,
    RawUri,
}

#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    /// `"key":`, JSON-escaped, as written into the assembled struct.
    pub(crate) key_json: String,
    /// The IDL path for errors (`some.id`).
    pub(crate) path: String,
    pub(crate) sources: Vec<Src>,
    /// The body key read when no source gave a value; `None` for
    /// `api.none` and no-body structs.
    pub(crate) body_key: Option<String>,
    pub(crate) text: Text,
    /// The field is a binary (raw body as base64).
    pub(crate) binary: bool,
    pub(crate) nested: Option<StructPlan>,
    /// The field's type and requiredness, for OpenAPI.
    pub(crate) ty: anycall_idl::TypeId,
    pub(crate) required: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StructPlan {
    pub(crate) fields: Vec<FieldPlan>,
    /// Every field reads the body under its own JSON name: the JSON body is
    /// the struct as it is.
    pub(crate) passthrough: bool,
    /// Some field reads a form value.
    pub(crate) wants_form: bool,
    /// Some field reads the query.
    pub(crate) wants_query: bool,
}

/// Where a response field goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Header(HeaderName),
    Cookie(String),
    HttpCode,
    Body,
    None,
}

#[derive(Debug, Clone)]
pub(crate) struct RespField {
    pub(crate) id: i16,
    pub(crate) ttype: TType,
    pub(crate) ty: anycall_idl::TypeId,
    pub(crate) target: Target,
    pub(crate) key_json: String,
    pub(crate) js_conv: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RespPlan {
    pub(crate) fields: Vec<RespField>,
    /// Every field goes to the body under its own JSON name: the struct
    /// renders as it is, in one pass.
    pub(crate) passthrough: bool,
    /// The struct, for the one-pass rendering.
    pub(crate) desc: Option<StructId>,
}

impl RespPlan {
    pub(crate) fn field(&self, id: i16) -> Option<&RespField> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// What a reply's success field renders as.
#[derive(Debug, Clone)]
pub(crate) enum Success {
    Void,
    Struct(RespPlan),
    Value(anycall_idl::TypeId),
}

/// What a custom field annotation stands for (see
/// [`GatewayBuilder::annotation`](crate::GatewayBuilder::annotation)).
/// The annotation's value, when not empty, is the HTTP-side name (query
/// key, header, cookie, form field or body key); otherwise the field's
/// JSON name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mapping {
    /// Request: a route parameter (`api.path`).
    Path,
    /// Request: a query value (`api.query`).
    Query,
    /// Both ways: a header (`api.header`).
    Header,
    /// Both ways: a cookie (`api.cookie`).
    Cookie,
    /// Both ways: a body key (`api.body`).
    Body,
    /// Request: a urlencoded form field (`api.form`).
    Form,
    /// Request: the whole body (`api.raw_body`).
    RawBody,
    /// Request: the request URI (`api.raw_uri`).
    RawUri,
    /// Request: bind the struct field by field from the HTTP sources
    /// (`api.source = 'not_body_struct'`).
    NotBodyStruct,
    /// Response: the status code (`api.http_code`).
    HttpCode,
    /// Both ways: not mapped (`api.none`).
    None,
    /// Both ways: i64 as a string (`api.js_conv`).
    JsConv,
}

/// A registered custom annotation: key, value to match (`None`: any), mapping.
pub(crate) type Rule = (String, Option<String>, Mapping);

/// A field's annotations read as HTTP mappings.
#[derive(Debug, Default)]
struct FieldAnn {
    sources: Vec<Src>,
    body: Option<String>,
    none: bool,
    nested: bool,
    js_conv: bool,
    key: Option<String>,
    resp: Option<Target>,
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|v| !v.is_empty())
}

fn header_name(
    file: FileDescriptor<'_>,
    field: FieldDescriptor<'_>,
    v: &str,
) -> Result<HeaderName, Error> {
    HeaderName::try_from(v).map_err(|_| {
        Error::mapping(format!(
            "{}: field `{}`: `{v}` is not a valid header name",
            place(file, field.span()),
            field.name()
        ))
    })
}

pub(crate) fn place(file: FileDescriptor<'_>, span: anycall_idl::span::Span) -> String {
    let (line, col) = file.line_col(span);
    format!("{}:{line}:{col}", file.path())
}

fn read_ann(
    file: FileDescriptor<'_>,
    field: FieldDescriptor<'_>,
    rules: &[Rule],
) -> Result<FieldAnn, Error> {
    let mut a = FieldAnn::default();
    let name = field.json_name();
    for (k, v) in field.annotations().iter() {
        let v = v.unwrap_or("");
        let key_or_name = || non_empty(Some(v)).unwrap_or(name).to_owned();
        if let Some((_, want, m)) = rules
            .iter()
            .find(|(rk, rv, _)| rk == k && rv.as_deref().is_none_or(|rv| rv == v))
        {
            let named = if want.is_some() {
                name.to_owned()
            } else {
                key_or_name()
            };
            match m {
                Mapping::Path => a.sources.push(Src::Path(named)),
                Mapping::Query => a.sources.push(Src::Query(named)),
                Mapping::Header => {
                    let h = header_name(file, field, &named)?;
                    a.sources.push(Src::Header(h.clone()));
                    a.resp = Some(Target::Header(h));
                }
                Mapping::Cookie => {
                    a.sources.push(Src::Cookie(named.clone()));
                    a.resp = Some(Target::Cookie(named));
                }
                Mapping::Body => a.body = Some(named),
                Mapping::Form => a.sources.push(Src::Form(named)),
                Mapping::RawBody => a.sources.push(Src::RawBody),
                Mapping::RawUri => a.sources.push(Src::RawUri),
                Mapping::NotBodyStruct => a.nested = true,
                Mapping::HttpCode => a.resp = Some(Target::HttpCode),
                Mapping::None => {
                    a.none = true;
                    a.resp = Some(Target::None);
                }
                Mapping::JsConv => a.js_conv = true,
            }
            continue;
        }
        match k {
            "api.path" => a.sources.push(Src::Path(key_or_name())),
            "api.query" => a.sources.push(Src::Query(key_or_name())),
            "api.header" => {
                let h = header_name(file, field, &key_or_name())?;
                a.sources.push(Src::Header(h.clone()));
                a.resp = Some(Target::Header(h));
            }
            "api.cookie" => {
                a.sources.push(Src::Cookie(key_or_name()));
                a.resp = Some(Target::Cookie(key_or_name()));
            }
            "api.form" => a.sources.push(Src::Form(key_or_name())),
            "api.body" => a.body = Some(key_or_name()),
            "api.raw_body" => a.sources.push(Src::RawBody),
            "api.raw_uri" => a.sources.push(Src::RawUri),
            "api.http_code" => a.resp = Some(Target::HttpCode),
            "api.none" if v != "false" => {
                a.none = true;
                a.resp = Some(Target::None);
            }
            "api.js_conv" if v != "false" => a.js_conv = true,
            "api.no_body_struct" if v != "false" => a.nested = true,
            "api.source" | "agw.source" | "janus.source" => match v {
                "not_body_struct" => a.nested = true,
                "query" => a.sources.push(Src::Query(name.to_owned())),
                "path" => a.sources.push(Src::Path(name.to_owned())),
                "header" => a.sources.push(Src::Header(header_name(file, field, name)?)),
                "cookie" => a.sources.push(Src::Cookie(name.to_owned())),
                "post" => a.sources.push(Src::Form(name.to_owned())),
                "raw_uri" => a.sources.push(Src::RawUri),
                "raw_body" => a.sources.push(Src::RawBody),
                "body" => a.body = Some(name.to_owned()),
                other => {
                    return Err(Error::mapping(format!(
                        "{}: field `{}`: unknown {k} `{other}`",
                        place(file, field.span()),
                        field.name()
                    )));
                }
            },
            "agw.target" | "janus.target" => {
                a.resp = Some(match v {
                    "header" => Target::Header(header_name(file, field, name)?),
                    "cookie" => Target::Cookie(name.to_owned()),
                    "http_code" => Target::HttpCode,
                    "body" => Target::Body,
                    "ignore" => Target::None,
                    other => {
                        return Err(Error::mapping(format!(
                            "{}: field `{}`: unknown {k} `{other}`",
                            place(file, field.span()),
                            field.name()
                        )));
                    }
                });
            }
            "api.key" | "agw.key" => a.key = non_empty(Some(v)).map(str::to_owned),
            _ => {}
        }
    }
    // agw.source with an agw.key: the key names the HTTP side.
    if let Some(key) = &a.key {
        for s in &mut a.sources {
            match s {
                Src::Path(k) | Src::Query(k) | Src::Cookie(k) | Src::Form(k) if k == name => {
                    *k = key.clone();
                }
                _ => {}
            }
        }
    }
    Ok(a)
}

fn json_key(key: &str) -> String {
    let mut s = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
    s.push(':');
    s
}

pub(crate) fn scalar_of(ty: TypeDescriptor<'_>) -> Scalar {
    match ty.kind() {
        TypeKind::Bool => Scalar::Bool,
        TypeKind::Byte => Scalar::Int {
            min: i8::MIN.into(),
            max: i8::MAX.into(),
            name: "byte",
        },
        TypeKind::I16 => Scalar::Int {
            min: i16::MIN.into(),
            max: i16::MAX.into(),
            name: "i16",
        },
        TypeKind::I32 => Scalar::Int {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
            name: "i32",
        },
        TypeKind::I64 => Scalar::Int {
            min: i64::MIN,
            max: i64::MAX,
            name: "i64",
        },
        TypeKind::Double => Scalar::Double,
        TypeKind::String => Scalar::Str,
        TypeKind::Binary => Scalar::Binary,
        TypeKind::Uuid => Scalar::Uuid,
        TypeKind::Enum(_) => Scalar::Enum,
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
            Scalar::Json
        }
    }
}

fn text_of(ty: TypeDescriptor<'_>) -> Text {
    match ty.kind() {
        TypeKind::List(e) | TypeKind::Set(e) => match scalar_of(e) {
            Scalar::Json => Text::One(Scalar::Json),
            s => Text::List(s),
        },
        _ => Text::One(scalar_of(ty)),
    }
}

/// Whether binding `desc` needs more than its JSON body object: some field
/// (or nested field) reads another HTTP source or another body key.
fn needs_plan(
    desc: StructDescriptor<'_>,
    stack: &mut Vec<StructId>,
    rules: &[Rule],
) -> Result<bool, Error> {
    if stack.contains(&desc.id()) || stack.len() >= MAX_PLAN_DEPTH {
        return Ok(false);
    }
    stack.push(desc.id());
    let mut needs = false;
    for f in desc.fields() {
        let a = read_ann(desc.file(), f, rules)?;
        if !a.sources.is_empty()
            || a.nested
            || a.none
            || a.body.as_deref().is_some_and(|b| b != f.json_name())
        {
            needs = true;
        } else if let TypeKind::Struct(s) = f.ty().kind() {
            needs |= needs_plan(s, stack, rules)?;
        }
        if needs {
            break;
        }
    }
    stack.pop();
    Ok(needs)
}

/// The binding plan of a struct; `prefix` is the IDL path for errors and
/// `in_body` false inside no-body structs.
pub(crate) fn struct_plan(
    desc: StructDescriptor<'_>,
    prefix: &str,
    in_body: bool,
    stack: &mut Vec<StructId>,
    rules: &[Rule],
) -> Result<StructPlan, Error> {
    stack.push(desc.id());
    let mut plan = StructPlan {
        passthrough: in_body,
        ..StructPlan::default()
    };
    for f in desc.fields() {
        let a = read_ann(desc.file(), f, rules)?;
        let name = f.json_name();
        let path = if prefix.is_empty() {
            f.name().to_owned()
        } else {
            format!("{prefix}.{}", f.name())
        };
        let body_key = if a.none || !in_body {
            None
        } else {
            Some(a.body.clone().unwrap_or_else(|| name.to_owned()))
        };
        let mut nested = None;
        if let TypeKind::Struct(s) = f.ty().kind()
            && !a.none
            && a.sources.is_empty()
            && !stack.contains(&s.id())
            && stack.len() < MAX_PLAN_DEPTH
            && (a.nested || needs_plan(s, &mut stack.clone(), rules)?)
        {
            nested = Some(struct_plan(s, &path, in_body && !a.nested, stack, rules)?);
        }
        for s in &a.sources {
            match s {
                Src::Query(_) => plan.wants_query = true,
                Src::Form(_) => plan.wants_form = true,
                _ => {}
            }
        }
        if let Some(n) = &nested {
            plan.wants_query |= n.wants_query;
            plan.wants_form |= n.wants_form;
        }
        if !a.sources.is_empty() || nested.is_some() || body_key.as_deref() != Some(name) {
            plan.passthrough = false;
        }
        plan.fields.push(FieldPlan {
            key_json: json_key(name),
            path,
            sources: a.sources,
            body_key,
            text: text_of(f.ty()),
            binary: matches!(f.ty().kind(), TypeKind::Binary),
            nested,
            ty: f.ty().id(),
            required: f.is_required(),
        });
    }
    stack.pop();
    Ok(plan)
}

/// The response plan of a struct (success or exception).
pub(crate) fn resp_plan(desc: StructDescriptor<'_>, rules: &[Rule]) -> Result<RespPlan, Error> {
    let mut plan = RespPlan {
        passthrough: true,
        desc: Some(desc.id()),
        ..RespPlan::default()
    };
    for f in desc.fields() {
        let a = read_ann(desc.file(), f, rules)?;
        let target = match a.resp {
            Some(t) => t,
            None if a.sources.iter().any(|s| {
                matches!(s, Src::Query(_) | Src::Path(_) | Src::RawBody | Src::RawUri)
            }) =>
            {
                Target::None
            }
            None => Target::Body,
        };
        let key = a.body.as_deref().unwrap_or(f.json_name());
        if !matches!(target, Target::Body) || key != f.json_name() || a.js_conv {
            plan.passthrough = false;
        }
        plan.fields.push(RespField {
            id: f.id(),
            ttype: TType::of(f.ty()),
            ty: f.ty().id(),
            target,
            key_json: json_key(key),
            js_conv: a.js_conv,
        });
    }
    Ok(plan)
}

/// The request plan of a method: `None` when it takes no parameters. A
/// single struct parameter is the request struct (Kitex's shape); other
/// parameter lists bind as the args struct, each parameter a field (by its
/// own annotations, else from the body key of its name). The flag tells
/// which.
pub(crate) fn method_plan(
    m: MethodDescriptor<'_>,
    rules: &[Rule],
) -> Result<(Option<StructPlan>, bool), Error> {
    if m.params().next().is_none() {
        return Ok((None, false));
    }
    let defaults = anycall_codec::Options::default();
    Ok(
        match anycall_codec::call::single_struct_param(m, &defaults) {
            Some(p) => match p.ty().kind() {
                TypeKind::Struct(s) => (
                    Some(struct_plan(s, "", true, &mut Vec::new(), rules)?),
                    false,
                ),
                _ => (
                    Some(struct_plan(m.args(), "", true, &mut Vec::new(), rules)?),
                    true,
                ),
            },
            None => (
                Some(struct_plan(m.args(), "", true, &mut Vec::new(), rules)?),
                true,
            ),
        },
    )
}

/// What the success field of `m` renders as.
pub(crate) fn success_of(m: MethodDescriptor<'_>, rules: &[Rule]) -> Result<Success, Error> {
    let Some(ret) = m.returns() else {
        return Ok(Success::Void);
    };
    Ok(match ret.kind() {
        TypeKind::Struct(s) => Success::Struct(resp_plan(s, rules)?),
        _ => Success::Value(ret.id()),
    })
}
