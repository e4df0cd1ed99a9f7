//! Generates the tonic server and client of bench/grpc/echo.proto (needs
//! `protoc`, Debian's protobuf-compiler).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tonic_prost_build::configure()
        .type_attribute(
            ".bench.v1.EchoRequest",
            "#[derive(serde::Deserialize)] #[serde(default)]",
        )
        .compile_protos(&["../grpc/echo.proto"], &["../grpc"])?;
    println!("cargo:rerun-if-changed=../grpc/echo.proto");
    Ok(())
}
