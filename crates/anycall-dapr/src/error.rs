//! Errors: [`Error`] for starting and running the component, and the
//! errors of one RPC, which go back to daprd as gRPC statuses.

use std::fmt;
use std::path::PathBuf;

use tonic::{Code, Status};

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the component could not start or serve: the socket folder or file,
/// or the gRPC server.
pub struct Error {
    message: String,
    path: Option<PathBuf>,
    source: Option<Source>,
}

impl Error {
    pub(crate) fn at(
        message: impl Into<String>,
        path: impl Into<PathBuf>,
        source: Option<Source>,
    ) -> Self {
        Self {
            message: message.into(),
            path: Some(path.into()),
            source,
        }
    }

    pub(crate) fn serve(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            message: "the grpc server failed".to_owned(),
            path: None,
            source: Some(Box::new(source)),
        }
    }

    /// The socket or folder the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("message", &self.message)
            .field("path", &self.path)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        if f.alternate()
            && let Some(source) = &self.source
        {
            write!(f, ": {source}")?;
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

/// The error of one `Init` or `Invoke`: a gRPC code, the message daprd
/// passes on to the app, and metadata for the response trailers.
#[derive(Debug)]
pub(crate) struct InvokeError {
    code: Code,
    message: String,
    trailers: Vec<(&'static str, String)>,
}

impl InvokeError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            trailers: Vec::new(),
        }
    }

    /// Bad metadata or data from the caller.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }

    /// A required key that is in neither the request nor the component
    /// metadata: the original's text.
    pub(crate) fn missing(key: &str) -> Self {
        Self::invalid(format!("missing metadata field {key}"))
    }

    pub(crate) fn trailer(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.trailers.push((key, value.into()));
        self
    }
}

impl From<InvokeError> for Status {
    fn from(e: InvokeError) -> Self {
        let mut status = Status::new(e.code, e.message);
        for (k, v) in e.trailers {
            if let Ok(v) = v.parse() {
                status.metadata_mut().insert(k, v);
            }
        }
        status
    }
}

/// Maps an upstream call error to a status. The message is Kitex's wording
/// where the original component's error is known (spec/dapr.md §1.5),
/// otherwise anycall's, with the error chain.
pub(crate) fn upstream(err: &anycall_rpc::Error) -> InvokeError {
    if let Some(ex) = err.application() {
        // Kitex: "remote or network error[remote]: <message>"; the type
        // travels in the text and in trailers.
        return InvokeError::new(
            Code::Unknown,
            format!(
                "remote or network error[remote]: {} (application exception type {})",
                ex.message(),
                ex.kind().code()
            ),
        )
        .trailer(
            "x-thrift-application-exception-type",
            ex.kind().code().to_string(),
        )
        .trailer("x-thrift-application-exception-message", ex.message());
    }
    if let Some(biz) = err.biz_status() {
        return InvokeError::new(Code::Unknown, format!("{err}"))
            .trailer("x-kitex-biz-status", biz.code.to_string());
    }
    let code = if err.is_timeout() {
        Code::DeadlineExceeded
    } else if err.is_connect() || err.is_io() {
        Code::Unavailable
    } else if err.is_codec() || err.is_not_found() || err.is_config() {
        Code::InvalidArgument
    } else {
        Code::Internal
    };
    InvokeError::new(code, format!("{err:#}"))
}
