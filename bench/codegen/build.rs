//! Generates the benchmark IDL's structs with pilota-build and its serde
//! plugin, as a Volo user gets them. The one change to the IDL: the binary
//! field carries a serde attribute for base64, the JSON form both anycall
//! and dynamicgo use for binary.

use std::path::PathBuf;

fn main() {
    let idl = PathBuf::from("../../testdata/codec/bench/bench.thrift");
    println!("cargo:rerun-if-changed={}", idl.display());
    let text = std::fs::read_to_string(&idl).expect("bench.thrift");
    let annotated = text.replace(
        "6: binary signature,",
        "6: binary signature (pilota.serde_attribute = '#[serde(with = \"crate::b64\")]'),",
    );
    assert_ne!(text, annotated, "bench.thrift has the binary field");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let copy = out.join("bench.thrift");
    std::fs::write(&copy, annotated).expect("IDL copy");
    pilota_build::Builder::thrift()
        .ignore_unused(false)
        .plugin(pilota_build::plugin::SerdePlugin)
        .compile_with_config(
            vec![pilota_build::IdlService::from_path(copy)],
            pilota_build::Output::File(out.join("bench_gen.rs")),
        );
}
