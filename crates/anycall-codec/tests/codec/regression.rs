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

/// A binary map key that is not UTF-8, rendered with `BinaryFormat::Text`:
/// it used to be replaced lossily (U+FFFD), so the JSON encoded back to
/// other bytes. It is now the same error as for a binary value.
#[test]
fn issue3_binary_key_as_text_is_not_lossy() {
    let pool = pool();
    let desc = pool.find_struct("All").unwrap();
    // Binary: 22: map<binary, uuid> {[0xff]: 0...0}, STOP.
    let mut bytes = vec![0x0d, 0, 22, 0x0b, 0x10, 0, 0, 0, 1, 0, 0, 0, 1, 0xff];
    bytes.extend_from_slice(&[0; 16]);
    bytes.push(0);
    let text = Options {
        binary: anycall_codec::BinaryFormat::Text,
        ..Options::default()
    };
    let lim = Limits::default();
    let err = decode_struct_json(desc, &bytes, Protocol::Binary, &text, &lim, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().starts_with("All.blobs"), "{err}");

    let (json, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &lim,
        false,
    )
    .unwrap();
    assert_eq!(
        json,
        r#"{"blobs":{"/w==":"00000000-0000-0000-0000-000000000000"}}"#
    );
}
