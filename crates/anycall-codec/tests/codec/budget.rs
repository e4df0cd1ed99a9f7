//! The decoded-memory budget (issue 15): what the `Value` and JSON decoders
//! build is paid for against `Limits::decoded_memory_for` of the message.

use anycall_codec::call::{decode_struct_json, decode_struct_value};
use anycall_codec::thrift::Protocol;
use anycall_codec::{Limit, Limits, Options, Value};
use anycall_idl::Pool;

fn pool() -> Pool {
    Pool::from_source(
        "budget.thrift",
        "struct Wide { 1: bool f1, 2: bool f2, 3: bool f3, 4: bool f4, 5: bool f5, 6: bool f6, 7: bool f7, 8: bool f8, 9: bool f9, 10: bool f10, 11: bool f11, 12: bool f12, 13: bool f13, 14: bool f14, 15: bool f15, 16: bool f16, 17: bool f17, 18: bool f18, 19: bool f19, 20: bool f20 }
         struct Holder { 1: list<Wide> items, 2: list<string> names, 3: list<bool> flags }",
    )
    .unwrap()
}

/// A compact `Holder` with `n` elements in field `id` (compact element type
/// `elem`), each element the byte `each`.
fn holder(id: u8, elem: u8, n: usize, each: u8) -> Vec<u8> {
    let mut out = vec![(id << 4) | 0x09, 0xf0 | elem];
    let mut v = n;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend(std::iter::repeat_n(each, n));
    out.push(0);
    out
}

#[test]
fn issue15_a_million_empty_structs_of_twenty_fields_hit_the_decoded_memory_limit() {
    let pool = pool();
    let desc = pool.find_struct("Holder").unwrap();
    // 1,000,000 empty `Wide` structs: one stop byte each, about 1 MB.
    let bytes = holder(1, 0x0c, 1_000_000, 0);
    let (opts, limits) = (Options::default(), Limits::default());
    let err = decode_struct_value(desc, &bytes, Protocol::Compact, &opts, &limits).unwrap_err();
    assert_eq!(
        err.kind(),
        anycall_codec::ErrorKind::Limit(Limit::DecodedMemory)
    );
    let text = err.to_string();
    assert!(text.contains("decoded_memory_factor"), "{text}");
    assert!(
        text.contains(&format!("{}-byte message", bytes.len())),
        "{text}"
    );
    assert!(text.starts_with("Holder.items"), "{text}");
    // A raised factor lets it through.
    let roomy = Limits {
        decoded_memory_factor: 1024,
        ..Limits::default()
    };
    let v = decode_struct_value(desc, &bytes, Protocol::Compact, &opts, &roomy).unwrap();
    let Some(Value::List(items)) = v.get("items") else {
        panic!("{v:?}")
    };
    assert_eq!(items.len(), 1_000_000);
}

#[test]
fn issue15_dense_lists_decode_within_the_default_budget() {
    let pool = pool();
    let desc = pool.find_struct("Holder").unwrap();
    let (opts, limits) = (Options::default(), Limits::default());
    // A million empty strings (1 byte each) and a million bools: 32 bytes
    // of `Value` per byte, inside the factor of 64.
    for (id, elem, each, field) in [(2, 0x08, 0, "names"), (3, 0x01, 1, "flags")] {
        let bytes = holder(id, elem, 1_000_000, each);
        let v = decode_struct_value(desc, &bytes, Protocol::Compact, &opts, &limits).unwrap();
        let Some(Value::List(items)) = v.get(field) else {
            panic!("{field}: {v:?}")
        };
        assert_eq!(items.len(), 1_000_000);
    }
    // A factor of 8 refuses them, naming the limit.
    let tight = Limits {
        decoded_memory_factor: 8,
        ..Limits::default()
    };
    let bytes = holder(2, 0x08, 1_000_000, 0);
    let err = decode_struct_value(desc, &bytes, Protocol::Compact, &opts, &tight).unwrap_err();
    assert!(
        err.to_string().contains("decoding needs more than 9"),
        "{err}"
    );
}

#[test]
fn issue15_json_text_is_held_to_the_same_budget() {
    let pool = pool();
    let desc = pool.find_struct("Holder").unwrap();
    let opts = Options::default();
    // 100,000 bools: `true,` is 5 bytes of text per byte of message.
    let bytes = holder(3, 0x01, 100_000, 1);
    let ok = decode_struct_json(
        desc,
        &bytes,
        Protocol::Compact,
        &opts,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert!(ok.0.len() > 500_000);
    let tight = Limits {
        decoded_memory_factor: 2,
        decoded_memory_base: 0,
        ..Limits::default()
    };
    let err =
        decode_struct_json(desc, &bytes, Protocol::Compact, &opts, &tight, false).unwrap_err();
    assert_eq!(
        err.kind(),
        anycall_codec::ErrorKind::Limit(Limit::DecodedMemory)
    );
    // The writer stops as the text passes the budget (about 200 KB of
    // text, some 40,000 bools in), not after building all of it.
    let text = err.to_string();
    let at: usize = text
        .split('[')
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no list index in {text:?}"));
    assert!((30_000..50_000).contains(&at), "{text}");
}
