//! JSON ⇄ Thrift bytes without an intermediate tree.
//!
//! * [`write_json`]: a serde `DeserializeSeed` driven by the descriptor reads
//!   the JSON once and writes each value into the output buffer as it is
//!   parsed. Field names are matched without allocating; arrays and maps are
//!   written with their length patched at the end.
//! * [`JsonView`]: a `Serialize` view over Thrift bytes; any serde serializer
//!   (compact or pretty `serde_json`) pulls values out of the bytes as it
//!   writes them.
//!
//! Errors keep their kind and field path (`Echo_args.req.items["k"].id:
//! expected i64, found string "abc"`); serde only carries them across its
//! calls.
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
mod ser;

pub use de::{write_json, write_json_struct};
pub use ser::{JsonView, StructJson, to_json_string, to_json_writer};
