//! Errors: [`Error`] for building a gateway (IDL and route problems), and
//! [`HttpError`], which owns its HTTP status and renders the JSON error body.

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

/// Why a gateway could not be built or reloaded.
///
/// Route problems name the method (`Service.Method`) and the place in the
/// IDL (`file:line:col`); two methods on one route name both.
pub struct Error {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The IDL did not load.
    Idl,
    /// A route annotation is malformed, or two methods share a route.
    Route,
    /// A method's annotations cannot be mapped (parameters, types).
    Mapping,
    /// Invalid settings.
    Config,
}

impl Error {
    pub(crate) fn idl(message: impl Into<String>) -> Self {
        Self::new(Kind::Idl, message)
    }
    pub(crate) fn route(message: impl Into<String>) -> Self {
        Self::new(Kind::Route, message)
    }
    pub(crate) fn mapping(message: impl Into<String>) -> Self {
        Self::new(Kind::Mapping, message)
    }
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The IDL did not load (parse or link errors, with `file:line:col`).
    pub fn is_idl(&self) -> bool {
        self.kind == Kind::Idl
    }

    /// A route annotation is malformed or two methods claim one route.
    pub fn is_route(&self) -> bool {
        self.kind == Kind::Route
    }

    /// A method's parameters or field annotations cannot be mapped to HTTP.
    pub fn is_mapping(&self) -> bool {
        self.kind == Kind::Mapping
    }

    /// Invalid builder settings.
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// An HTTP error answer: a status, a stable `code`, a message and the field
/// it concerns, rendered as
/// `{"error": {"code": "...", "message": "...", "field": "..."}}`.
///
/// | status | code | when |
/// |---|---|---|
/// | 400 | `bad_request` | a value that does not fit its IDL type, a malformed body, a missing required field (`field` names it) |
/// | 404 | `not_found` | no route for the path |
/// | 405 | `method_not_allowed` | the path has routes, none for this method (`Allow` lists them) |
/// | 408 | `request_timeout` | the body did not arrive within the request timeout |
/// | 413 | `body_too_large` | the body is over the limit |
/// | 415 | `unsupported_media_type` | a body in a content type the route cannot read |
/// | 500 | `bad_response` | the reply's `api.http_code` is not a status |
/// | 502 | `upstream_unavailable` | no connection to the upstream |
/// | 502 | `upstream_error` | the upstream connection failed or its reply was invalid |
/// | 502 | `application_exception` | the upstream answered with a `TApplicationException` (`type` gives its type) |
/// | 504 | `upstream_timeout` | the upstream did not answer within the RPC timeout |
/// | biz code or 500 | `biz_status` | a Kitex business status error (`biz_code`, `extra`) |
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    extra: Vec<(&'static str, serde_json::Value)>,
    allow: Option<String>,
}

impl HttpError {
    /// An error with `status` and `code`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            extra: Vec::new(),
            allow: None,
        }
    }

    pub(crate) fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message).field_opt(field)
    }

    pub(crate) fn field_opt(mut self, field: Option<String>) -> Self {
        self.field = field.filter(|f| !f.is_empty());
        self
    }

    pub(crate) fn extra(mut self, key: &'static str, value: serde_json::Value) -> Self {
        self.extra.push((key, value));
        self
    }

    pub(crate) fn allow(mut self, allow: String) -> Self {
        self.allow = Some(allow);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable error code (`not_found`, `bad_request`, ...).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The request field the error concerns, as an IDL path (`req.some.id`).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The JSON body.
    pub fn body(&self) -> Bytes {
        let mut inner = serde_json::Map::new();
        inner.insert("code".into(), self.code.into());
        inner.insert("message".into(), self.message.clone().into());
        if let Some(field) = &self.field {
            inner.insert("field".into(), field.clone().into());
        }
        for (k, v) in &self.extra {
            inner.insert((*k).into(), v.clone());
        }
        let mut outer = serde_json::Map::new();
        outer.insert("error".into(), serde_json::Value::Object(inner));
        Bytes::from(serde_json::Value::Object(outer).to_string())
    }

    /// The whole HTTP response.
    pub fn into_response(self) -> http::Response<Bytes> {
        let mut resp = http::Response::new(self.body());
        *resp.status_mut() = self.status;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(allow) = self.allow.and_then(|a| HeaderValue::try_from(a).ok()) {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
        resp
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for HttpError {}
