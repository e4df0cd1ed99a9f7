//! Kitex business status errors: a code, a message and string extras that a
//! server returns instead of a result, carried in the reply's TTHeader.
//!
//! ```text
//! reply TTHeader string keys      reply payload
//! biz-status  = "10001"           REPLY message, empty result struct
//! biz-message = "not found"
//! biz-extra   = {"reason":"..."}  (a JSON object of strings; omitted when empty)
//! ```
//!
//! Only the TTHeader transports carry them (spec wire-format §3.4.2). A
//! client that reads `biz-status` in a reply fails the call with
//! [`Error::biz_status`](crate::Error::biz_status), whatever the payload.

use std::collections::BTreeMap;
use std::fmt;

use anycall_codec::frame::TTHeader;
use anycall_codec::frame::ttheader::str_key;

/// A business status error (Kitex `kerrors.BizStatusError`).
///
/// ```
/// use anycall_rpc::BizStatus;
///
/// let biz = BizStatus::new(404, "not found").with_extra("id", "7");
/// assert_eq!(biz.to_string(), "biz status 404: not found");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BizStatus {
    /// The status code (`biz-status`).
    pub code: i32,
    /// The message (`biz-message`).
    pub message: String,
    /// Extra values (`biz-extra`).
    pub extra: BTreeMap<String, String>,
}

impl BizStatus {
    /// A status with `code` and `message` and no extras.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extra: BTreeMap::new(),
        }
    }

    /// Adds an extra value.
    #[must_use]
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The status in a reply header, if it has one. A `biz-status` that is
    /// not a decimal i32 is taken as code 0 with the text kept in the
    /// message, and extras that are not a JSON object of strings are kept
    /// whole under the key `biz-extra`, so nothing the server said is lost.
    pub(crate) fn from_header(header: &TTHeader) -> Option<Self> {
        let status = header.str_value(str_key::BIZ_STATUS)?;
        let message = header.str_value(str_key::BIZ_MESSAGE).unwrap_or_default();
        let mut biz = match status.trim().parse::<i32>() {
            Ok(code) => Self::new(code, message),
            Err(_) => Self::new(0, format!("{message} (biz-status {status:?})")),
        };
        if let Some(extra) = header
            .str_value(str_key::BIZ_EXTRA)
            .filter(|e| !e.is_empty())
        {
            biz.extra = serde_json::from_str(extra).unwrap_or_else(|_| {
                BTreeMap::from([(str_key::BIZ_EXTRA.to_owned(), extra.into())])
            });
        }
        Some(biz)
    }

    /// Writes the status into a reply header.
    pub(crate) fn write(&self, header: &mut TTHeader) {
        header.insert_str(str_key::BIZ_STATUS, self.code.to_string());
        header.insert_str(str_key::BIZ_MESSAGE, self.message.clone());
        if !self.extra.is_empty() {
            let extra = serde_json::to_string(&self.extra).expect("a map of strings serializes");
            header.insert_str(str_key::BIZ_EXTRA, extra);
        }
    }
}

impl fmt::Display for BizStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "biz status {}: {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let biz = BizStatus::new(10001, "requested biz error").with_extra("reason", "asked");
        let mut header = TTHeader::new(1);
        biz.write(&mut header);
        assert_eq!(header.str_value("biz-status"), Some("10001"));
        assert_eq!(header.str_value("biz-extra"), Some(r#"{"reason":"asked"}"#));
        assert_eq!(BizStatus::from_header(&header), Some(biz));
    }

    #[test]
    fn no_extra_key_when_empty() {
        let mut header = TTHeader::new(1);
        BizStatus::new(1, "m").write(&mut header);
        assert_eq!(header.str_value("biz-extra"), None);
        assert_eq!(BizStatus::from_header(&TTHeader::new(1)), None);
    }

    #[test]
    fn odd_values_are_kept() {
        let mut header = TTHeader::new(1);
        header
            .insert_str("biz-status", "x1")
            .insert_str("biz-message", "m")
            .insert_str("biz-extra", "not json");
        let biz = BizStatus::from_header(&header).unwrap();
        assert_eq!(biz.code, 0);
        assert_eq!(biz.message, r#"m (biz-status "x1")"#);
        assert_eq!(biz.extra["biz-extra"], "not json");
    }
}
