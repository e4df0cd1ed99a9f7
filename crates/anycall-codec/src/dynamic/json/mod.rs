//! JSON ⇄ Thrift bytes without an intermediate tree.
//!
//! * [`write_json`]: a scanner driven by the descriptor reads the JSON once
//!   and writes each value into the output buffer as it is parsed (string
//!   ends found eight bytes at a time, UTF-8 checked once, numbers parsed in
//!   place). Field names are matched without allocating; arrays and maps are
//!   written with their length patched at the end.
//! * [`to_json_writer`]: reads Thrift bytes under the descriptor and writes
//!   compact JSON straight into a byte buffer (strings escaped by runs,
//!   numbers by `itoa`/`zmij`, base64 encoded in place). [`JsonView`] is
//!   also a `Serialize` view over the bytes, for any serde serializer
//!   (pretty output goes that way).
//!
//! Errors keep their kind and field path (`Echo_args.req.items["k"].id:
//! expected i64, found string "abc"`).
//!
//! The serde-driven transcoders these replaced stay in [`reference`](mod@reference), the
//! reference that property tests and fuzz targets hold the fast paths to.
//!
//! JSON mapping (see [`Options`](crate::Options) for the switches):
//!
//! | Thrift | JSON out | JSON in |
//! |---|---|---|
//! | bool | `true`/`false` | booleans |
//! | byte, i16, i32 | number | numbers, numeric strings, integral floats (`2.0`) |
//! | i64 | number (string with `i64_as_string`) | the same |
//! | double | number; NaN/±Infinity per `non_finite` | numbers, `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | string | string | string |
//! | binary | base64 (text with `BinaryFormat::Text`) | the same |
//! | uuid | `"8-4-4-4-12"` hex | the same, hyphens optional |
//! | enum | number (name with `enum_as_name`) | numbers or names |
//! | list, set | array | array |
//! | map | object when keys are scalars; else `[[k, v], ...]` | both shapes |
//! | struct | object keyed by field name (`go.tag` alias when on) | the same; `null` fields are absent |

mod de;
mod scan;
mod ser;
mod write;

pub use scan::{MAX_NESTING, write_json, write_json_struct};
pub use ser::{JsonView, StructJson, to_json_string, to_json_writer};

/// The serde-driven transcoders: a `DeserializeSeed` for JSON → Thrift and
/// the [`JsonView`] `Serialize` impl through `serde_json` for Thrift → JSON.
/// Slower, with the same semantics; kept as the reference for tests.
#[doc(hidden)]
pub mod reference {
    pub use super::de::{write_json, write_json_struct};
    pub use super::ser::to_json_writer_serde as to_json_writer;
}
