//! The one error type of this crate: an opaque kind, a message, an optional
//! source, queried with `is_*()` predicates.

use std::fmt;
use std::time::Duration;

use anycall_codec::thrift::TApplicationException;

use crate::biz::BizStatus;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with a call, a server or a proxy.
///
/// Ask with the predicates: [`is_timeout`](Error::is_timeout),
/// [`is_connect`](Error::is_connect), [`is_application`](Error::is_application)
/// and so on. A `TApplicationException` from the peer is kept whole:
/// [`application`](Error::application) returns its type code and message.
pub struct Error {
    kind: Kind,
    message: String,
    source: Option<Source>,
    application: Option<TApplicationException>,
    biz_status: Option<Box<BizStatus>>,
    grpc_status: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No connection could be made (refused, unreachable, resolution).
    Connect,
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// The call took longer than the RPC timeout.
    Timeout,
    /// The connection failed after it was made (reset, closed mid-call).
    Io,
    /// The peer sent bytes that are not a valid frame or reply.
    Protocol,
    /// The request could not be encoded, or the reply not decoded, under
    /// the IDL.
    Codec,
    /// The peer answered with a `TApplicationException`.
    Application,
    /// The peer answered with a business status error.
    BizStatus,
    /// The IDL has no such service or method.
    NotFound,
    /// An invalid builder setting or argument.
    Config,
    /// The peer ended a gRPC call with a non-OK status.
    #[cfg_attr(not(feature = "grpc"), allow(dead_code))]
    Status,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
            application: None,
            biz_status: None,
            grpc_status: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Self::new(Kind::Io, context.to_string()).with_source(err)
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::new(Kind::Protocol, message)
    }

    pub(crate) fn codec(context: impl fmt::Display, err: anycall_codec::Error) -> Self {
        Self::new(Kind::Codec, context.to_string()).with_source(err)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }

    pub(crate) fn timeout(after: Duration) -> Self {
        Self::new(
            Kind::Timeout,
            format!("rpc timed out after {}", fmt_duration(after)),
        )
    }

    pub(crate) fn from_application(ex: TApplicationException) -> Self {
        let mut err = Self::new(
            Kind::Application,
            "server returned an application exception",
        );
        err.application = Some(ex);
        err
    }

    pub(crate) fn from_biz_status(biz: BizStatus) -> Self {
        let mut err = Self::new(Kind::BizStatus, "server returned a business status error");
        err.biz_status = Some(Box::new(biz));
        err
    }

    /// A gRPC call that ended with a non-OK status `code` (spec §6.4).
    #[cfg_attr(not(feature = "grpc"), allow(dead_code))]
    pub(crate) fn from_grpc_status(code: i32, message: impl Into<String>) -> Self {
        let mut err = Self::new(Kind::Status, message);
        err.grpc_status = Some(code);
        err
    }

    /// The call took longer than the RPC timeout, or connecting took longer
    /// than the connect timeout (then [`is_connect`](Error::is_connect) is
    /// true as well).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout | Kind::ConnectTimeout)
    }

    /// No connection could be made: refused, unreachable, unresolvable, or
    /// the connect timeout passed.
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, Kind::Connect | Kind::ConnectTimeout)
    }

    /// The peer answered with a `TApplicationException`; see
    /// [`application`](Error::application).
    pub fn is_application(&self) -> bool {
        self.kind == Kind::Application
    }

    /// The peer answered with a Kitex business status error (TTHeader
    /// `biz-status`); see [`biz_status`](Error::biz_status).
    pub fn is_biz_status(&self) -> bool {
        self.kind == Kind::BizStatus
    }

    /// The business status error's code, message and extras.
    pub fn biz_status(&self) -> Option<&BizStatus> {
        self.biz_status.as_deref()
    }

    /// An established connection failed: reset, or closed before the reply
    /// was complete.
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }

    /// The peer sent something that is not a valid frame or reply (bad
    /// framing, a reply to another method or seq id, an oversize frame).
    pub fn is_protocol(&self) -> bool {
        self.kind == Kind::Protocol
    }

    /// The request did not fit the IDL, or the reply could not be decoded
    /// with it. The source is an `anycall_codec::Error` with a field path.
    pub fn is_codec(&self) -> bool {
        self.kind == Kind::Codec
    }

    /// The IDL has no such service or method.
    pub fn is_not_found(&self) -> bool {
        self.kind == Kind::NotFound
    }

    /// An invalid builder setting or call argument (a bad host list, a JSON
    /// call without an IDL, ...).
    pub fn is_config(&self) -> bool {
        self.kind == Kind::Config
    }

    /// The `TApplicationException` the peer sent, with its type code and
    /// message.
    pub fn application(&self) -> Option<&TApplicationException> {
        self.application.as_ref()
    }

    /// The gRPC status code a Thrift-over-gRPC call ended with, when it was
    /// not OK (a timeout is [`is_timeout`](Error::is_timeout) instead).
    pub fn grpc_status(&self) -> Option<i32> {
        self.grpc_status
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(app) = &self.application {
            d.field("application", app);
        }
        if let Some(biz) = &self.biz_status {
            d.field("biz_status", biz);
        }
        if let Some(code) = self.grpc_status {
            d.field("grpc_status", &code);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(app) = &self.application {
            write!(f, ": {app} (type {})", app.kind().code())?;
        }
        if let Some(biz) = &self.biz_status {
            write!(f, ": {biz}")?;
        }
        if f.alternate() {
            let mut source = std::error::Error::source(self);
            while let Some(err) = source {
                write!(f, ": {err}")?;
                source = err.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// A crate result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
