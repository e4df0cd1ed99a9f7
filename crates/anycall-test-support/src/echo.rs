//! The echo rule of the interop service (`interop/README.md`,
//! `testdata/interop/echo.thrift`), as the peers implement it.

use serde_json::{Value as Json, json};

/// `BaseResp.StatusMessage` of an echoed request.
pub const STATUS_MESSAGE: &str = "ok";
/// `BaseResp.StatusCode` of an echoed request.
pub const STATUS_CODE: i32 = 0;
/// `EchoError.code` of `action: "throw"`.
pub const THROW_CODE: i32 = 42;
/// `EchoError.msg` of `action: "throw"`.
pub const THROW_MESSAGE: &str = "requested exception";
/// The `TApplicationException` message of `action: "fail"` (type 6,
/// `INTERNAL_ERROR`).
pub const FAIL_MESSAGE: &str = "requested application error";

/// The echo of a request (JSON): its fields as received, `Base` replaced by
/// `BaseResp{StatusMessage: "ok", StatusCode: 0}`, with `Extra` when the
/// request's `Base.Extra` was set.
///
/// ```
/// use serde_json::json;
///
/// let req = json!({"message": "hi", "Base": {"LogID": "1", "Extra": {"k": "v"}}});
/// assert_eq!(
///     anycall_test_support::echo::echo_of(&req),
///     json!({"message": "hi", "BaseResp": {"StatusMessage": "ok", "StatusCode": 0, "Extra": {"k": "v"}}}),
/// );
/// ```
pub fn echo_of(req: &Json) -> Json {
    let mut resp = req.as_object().cloned().unwrap_or_default();
    let base = resp.remove("Base");
    let mut base_resp = json!({"StatusMessage": STATUS_MESSAGE, "StatusCode": STATUS_CODE});
    if let Some(extra) = base.as_ref().and_then(|b| b.get("Extra")) {
        base_resp["Extra"] = extra.clone();
    }
    resp.insert("BaseResp".into(), base_resp);
    Json::Object(resp)
}

/// The `EchoError` of `action: "throw"`, as JSON.
pub fn thrown() -> Json {
    json!({"code": THROW_CODE, "msg": THROW_MESSAGE})
}
