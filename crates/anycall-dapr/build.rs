//! Compiles the component protocol's `.proto` files (no protoc needed) into
//! a `FileDescriptorSet` for the gRPC reflection service.

fn main() {
    let files = [
        "proto/dapr/proto/components/v1/common.proto",
        "proto/dapr/proto/components/v1/bindings.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let set = match protox::compile(files, ["proto"]) {
        Ok(set) => set,
        Err(e) => panic!("compiling the component .proto files: {e}"),
    };
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let bytes = prost::Message::encode_to_vec(&set);
    std::fs::write(out.join("components_v1.bin"), bytes).expect("writing the descriptor set");
}
