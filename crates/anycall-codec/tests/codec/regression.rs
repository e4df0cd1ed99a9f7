//! Regressions found by the fuzz targets and the cross-checks (issue 3).

use anycall_codec::call::{decode_struct_json, decode_struct_value};
use anycall_codec::thrift::Protocol;
use anycall_codec::{ErrorKind, Limits, Options, Value};

use crate::dynamic::pool;

/// A field id twice on the wire: the JSON view used to print the key twice,
/// which the JSON encoder then refused. It is now an error naming the
/// field; the `Value` path keeps the last value, as generated code does.
#[test]
fn issue3_duplicate_field_id_is_not_rendered_twice() {
    let pool = pool();
    let desc = pool.find_struct("Point").unwrap();
    // Binary: 1: i32 = 1, 1: i32 = 2, STOP.
    let bytes = [8, 0, 1, 0, 0, 0, 1, 8, 0, 1, 0, 0, 0, 2, 0];
    let opts = Options::default();
    let lim = Limits::default();
    let err = decode_struct_json(desc, &bytes, Protocol::Binary, &opts, &lim, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "Point.x: field `x` is given twice");

    let v = decode_struct_value(desc, &bytes, Protocol::Binary, &opts, &lim).unwrap();
    assert_eq!(v.get("x"), Some(&Value::I32(2)));
    assert_eq!(v.len(), 1);
}
