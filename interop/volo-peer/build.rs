fn main() {
    println!("cargo:rerun-if-changed=../../testdata/interop");
    volo_build::Builder::thrift()
        .add_service("../../testdata/interop/echo.thrift")
        .include_dirs(vec!["../../testdata/interop".into()])
        .filename("echo_gen.rs".into())
        .write()
        .unwrap();
}
