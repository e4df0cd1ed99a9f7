//! Request binding: the HTTP request's parts assembled, per the method's
//! [`StructPlan`], into the JSON text of the request struct. The codec's
//! JSON transcoder then writes the Thrift bytes from that text, so body
//! values are copied as raw JSON slices (never parsed into a tree) and
//! text values (query, headers, path, cookies, form) are checked against
//! their IDL type here, with the HTTP source named in errors.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use http::{HeaderMap, Uri, header};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::HttpError;
use crate::plan::{FieldPlan, Scalar, Src, StructPlan, Text};
use crate::route::Params;

/// How the body is to be read, from its `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/json`, `*/*+json`, or no content type.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data` with this boundary.
    Multipart(String),
    /// Anything else.
    Other,
}

impl BodyKind {
    fn is_form(&self) -> bool {
        matches!(self, Self::Form | Self::Multipart(_))
    }

    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let Some(ct) = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        else {
            return Self::Json;
        };
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/json")
            || essence.to_ascii_lowercase().ends_with("+json")
            || essence.is_empty()
        {
            Self::Json
        } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Self::Form
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            let boundary = ct.split(';').skip(1).find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("boundary")
                    .then(|| v.trim().trim_matches('"').to_owned())
            });
            match boundary {
                Some(b) if !b.is_empty() => Self::Multipart(b),
                _ => Self::Other,
            }
        } else {
            Self::Other
        }
    }
}

/// The parts of a request that fields bind from.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    pub(crate) params: &'a Params,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) kind: BodyKind,
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

struct Cx<'a> {
    input: &'a Input<'a>,
    query: Option<Pairs<'a>>,
    form: Option<Pairs<'a>>,
    cookies: Option<Vec<(&'a str, &'a str)>>,
}

/// A JSON object's members as raw slices, in order.
struct BodyMap<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> BodyMap<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn parse(json: &'a str, field: Option<&str>) -> Result<Self, HttpError> {
        let first = json.trim_start().as_bytes().first().copied();
        if first != Some(b'{') {
            let what = match field {
                Some(f) => format!("the body value of `{f}` must be a JSON object"),
                None => "the request body must be a JSON object".to_owned(),
            };
            return Err(HttpError::bad_request(field.map(str::to_owned), what));
        }
        let mut de = serde_json::Deserializer::from_str(json);
        let map = de
            .deserialize_map(MapVisitor)
            .and_then(|m| de.end().map(|()| m))
            .map_err(|e| {
                HttpError::bad_request(
                    field.map(str::to_owned),
                    format!("malformed JSON body: {e}"),
                )
            })?;
        Ok(map)
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = BodyMap<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
            out.push((k.0, v));
        }
        Ok(BodyMap(out))
    }
}

/// Assembles the request struct's JSON for `plan`.
pub(crate) fn bind<'a>(
    plan: &StructPlan,
    input: &'a Input<'a>,
) -> Result<Cow<'a, [u8]>, HttpError> {
    let body_empty = input.body.iter().all(u8::is_ascii_whitespace);
    if input.kind == BodyKind::Other && !body_empty && reads_body(plan) {
        return Err(HttpError::new(
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be application/json, application/x-www-form-urlencoded or multipart/form-data",
        ));
    }
    if plan.passthrough && input.kind == BodyKind::Json {
        if body_empty {
            return Ok(Cow::Borrowed(b"{}"));
        }
        let first = input.body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(HttpError::bad_request(
                None,
                "the request body must be a JSON object",
            ));
        }
        return Ok(Cow::Borrowed(input.body));
    }
    let mut cx = Cx {
        input,
        query: None,
        form: None,
        cookies: None,
    };
    let body = match input.kind {
        BodyKind::Json if !body_empty => {
            let text = std::str::from_utf8(input.body)
                .map_err(|_| HttpError::bad_request(None, "the request body is not UTF-8"))?;
            Some(BodyMap::parse(text, None)?)
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(input.body.len() + 64);
    bind_struct(plan, &mut cx, body.as_ref(), &mut out)?;
    Ok(Cow::Owned(out))
}

fn reads_body(plan: &StructPlan) -> bool {
    plan.fields.iter().any(|f| {
        f.body_key.is_some() && f.sources.is_empty() && f.nested.is_none()
            || f.nested.as_ref().is_some_and(reads_body)
    })
}

/// Writes `{...}`; returns whether any field was written.
fn bind_struct<'a>(
    plan: &StructPlan,
    cx: &mut Cx<'a>,
    body: Option<&BodyMap<'a>>,
    out: &mut Vec<u8>,
) -> Result<bool, HttpError> {
    out.push(b'{');
    let mut first = true;
    for f in &plan.fields {
        let start = out.len();
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(f.key_json.as_bytes());
        if bind_field(f, cx, body, out)? {
            first = false;
        } else {
            out.truncate(start);
        }
    }
    out.push(b'}');
    Ok(!first)
}

fn bind_field<'a>(
    f: &FieldPlan,
    cx: &mut Cx<'a>,
    body: Option<&BodyMap<'a>>,
    out: &mut Vec<u8>,
) -> Result<bool, HttpError> {
    for src in &f.sources {
        if bind_source(f, src, cx, out)? {
            return Ok(true);
        }
    }
    if let Some(nested) = &f.nested {
        let sub = match (body, &f.body_key) {
            (Some(b), Some(k)) => match b.get(k) {
                Some(raw) if raw.get() != "null" => Some(BodyMap::parse(raw.get(), Some(&f.path))?),
                _ => None,
            },
            _ => None,
        };
        let start = out.len();
        let wrote = bind_struct(nested, cx, sub.as_ref(), out)?;
        if !wrote && sub.is_none() {
            out.truncate(start);
            return Ok(false);
        }
        return Ok(true);
    }
    let Some(key) = &f.body_key else {
        return Ok(false);
    };
    if let Some(body) = body {
        if let Some(raw) = body.get(key) {
            out.extend_from_slice(raw.get().as_bytes());
            return Ok(true);
        }
        return Ok(false);
    }
    if cx.input.kind.is_form() {
        let form = form(cx);
        let values: Vec<&str> = form
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_ref())
            .collect();
        if !values.is_empty() {
            write_text(f, &values, &Label::Form(key), out)?;
            return Ok(true);
        }
    }
    Ok(false)
}

fn form<'a, 'b>(cx: &'b mut Cx<'a>) -> &'b Pairs<'a> {
    let body = cx.input.body;
    let kind = &cx.input.kind;
    cx.form.get_or_insert_with(|| match kind {
        BodyKind::Multipart(boundary) => multipart(body, boundary),
        _ => form_urlencoded::parse(body).collect(),
    })
}

/// The named parts of a `multipart/form-data` body (RFC 7578) as text;
/// parts without a name, or whose content is not UTF-8, are skipped.
fn multipart<'a>(body: &'a [u8], boundary: &str) -> Pairs<'a> {
    let mut out = Vec::new();
    let Ok(text) = std::str::from_utf8(body) else {
        return out;
    };
    let delim = format!("--{boundary}");
    for part in text.split(delim.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let name = head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            v.split(';').find_map(|p| {
                let (pk, pv) = p.trim().split_once('=')?;
                (pk.trim() == "name").then(|| pv.trim().trim_matches('"'))
            })
        });
        if let Some(name) = name {
            out.push((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
    }
    out
}

fn bind_source<'a>(
    f: &FieldPlan,
    src: &Src,
    cx: &mut Cx<'a>,
    out: &mut Vec<u8>,
) -> Result<bool, HttpError> {
    let input = cx.input;
    match src {
        Src::Path(k) => {
            let Some((_, v)) = input.params.iter().find(|(n, v)| n == k && !v.is_empty()) else {
                return Ok(false);
            };
            write_text(f, &[v.as_str()], &Label::Path(k), out)?;
        }
        Src::Query(k) => {
            let query = input.uri.query().unwrap_or("");
            let pairs = cx
                .query
                .get_or_insert_with(|| form_urlencoded::parse(query.as_bytes()).collect());
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(n, v)| n == k && !v.is_empty())
                .map(|(_, v)| v.as_ref())
                .collect();
            if values.is_empty() {
                return Ok(false);
            }
            write_text(f, &values, &Label::Query(k), out)?;
        }
        Src::Header(name) => {
            let mut values = Vec::new();
            for v in input.headers.get_all(name) {
                let v = v.to_str().map_err(|_| {
                    HttpError::bad_request(
                        Some(f.path.clone()),
                        format!("header \"{name}\" is not visible ASCII"),
                    )
                })?;
                if !v.is_empty() {
                    values.push(v);
                }
            }
            if values.is_empty() {
                return Ok(false);
            }
            write_text(f, &values, &Label::Header(name.as_str()), out)?;
        }
        Src::Cookie(k) => {
            let cookies = cx.cookies.get_or_insert_with(|| {
                input
                    .headers
                    .get_all(header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .filter_map(|c| c.trim().split_once('='))
                    .map(|(n, v)| (n.trim(), v.trim().trim_matches('"')))
                    .collect()
            });
            let Some((_, v)) = cookies.iter().find(|(n, v)| n == k && !v.is_empty()) else {
                return Ok(false);
            };
            let v: &str = v;
            write_text(f, &[v], &Label::Cookie(k), out)?;
        }
        Src::Form(k) => {
            if !input.kind.is_form() {
                return Ok(false);
            }
            let pairs = form(cx);
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(n, v)| n == k && !v.is_empty())
                .map(|(_, v)| v.as_ref())
                .collect();
            if values.is_empty() {
                return Ok(false);
            }
            write_text(f, &values, &Label::Form(k), out)?;
        }
        Src::RawBody => {
            if input.body.is_empty() {
                return Ok(false);
            }
            if f.binary {
                let text = base64::engine::general_purpose::STANDARD.encode(input.body);
                write_json_str(&text, out);
            } else {
                let text = std::str::from_utf8(input.body).map_err(|_| {
                    HttpError::bad_request(
                        Some(f.path.clone()),
                        "the raw body of a string field must be UTF-8",
                    )
                })?;
                write_json_str(text, out);
            }
        }
        Src::RawUri => {
            let uri = input
                .uri
                .path_and_query()
                .map_or_else(|| input.uri.path(), |p| p.as_str());
            write_json_str(uri, out);
        }
    }
    Ok(true)
}

/// Where a text value came from, for error messages.
pub(crate) enum Label<'a> {
    Path(&'a str),
    Query(&'a str),
    Header(&'a str),
    Cookie(&'a str),
    Form(&'a str),
}

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(k) => write!(f, "path parameter \"{k}\""),
            Self::Query(k) => write!(f, "query parameter \"{k}\""),
            Self::Header(k) => write!(f, "header \"{k}\""),
            Self::Cookie(k) => write!(f, "cookie \"{k}\""),
            Self::Form(k) => write!(f, "form field \"{k}\""),
        }
    }
}

fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_text(
    f: &FieldPlan,
    values: &[&str],
    label: &Label<'_>,
    out: &mut Vec<u8>,
) -> Result<(), HttpError> {
    let err = |msg: String| HttpError::bad_request(Some(f.path.clone()), format!("{label}: {msg}"));
    match &f.text {
        Text::One(s) => write_scalar(s, values[0], out).map_err(err),
        Text::List(s) => {
            out.push(b'[');
            let mut first = true;
            for v in values {
                for part in v.split(',') {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_scalar(s, part, out).map_err(err)?;
                }
            }
            out.push(b']');
            Ok(())
        }
    }
}

/// Converts one text value by IDL type into JSON.
pub(crate) fn write_scalar(s: &Scalar, v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    match s {
        Scalar::Bool => match v {
            "true" | "false" => out.extend_from_slice(v.as_bytes()),
            _ => return Err(format!("{v:?} is not a bool (true or false)")),
        },
        Scalar::Int { min, max, name } => {
            let n: i64 = v
                .parse()
                .map_err(|_| format!("{v:?} is not an integer ({name})"))?;
            if n < *min || n > *max {
                return Err(format!("{n} is out of range for {name} ({min}..={max})"));
            }
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        Scalar::Double => {
            let d: f64 = v.parse().map_err(|_| format!("{v:?} is not a number"))?;
            if !d.is_finite() {
                return Err(format!("{v:?} is not a finite number"));
            }
            out.extend_from_slice(ryu::Buffer::new().format_finite(d).as_bytes());
        }
        Scalar::Str | Scalar::Uuid => write_json_str(v, out),
        Scalar::Binary => {
            let text = base64::engine::general_purpose::STANDARD.encode(v.as_bytes());
            write_json_str(&text, out);
        }
        Scalar::Enum => match v.parse::<i32>() {
            Ok(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Err(_) => write_json_str(v, out),
        },
        Scalar::Json => {
            let t = v.trim();
            if !(t.starts_with('{') || t.starts_with('[')) {
                return Err(format!("{v:?} is not JSON (expected an object or array)"));
            }
            if serde_json::from_str::<&RawValue>(t).is_err() {
                return Err(format!("{v:?} is not valid JSON"));
            }
            out.extend_from_slice(t.as_bytes());
        }
    }
    Ok(())
}
