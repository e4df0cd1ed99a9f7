// The HTTP face of testdata/interop/echo.thrift's EchoService.Ping, for
// `anycall gateway` replicas in the scale-out test (crates/anycall/tests/cli/fleet.rs):
// the same service and method, so any echo backend answers it.
namespace go interop.echo

service EchoService {
    void Ping() (api.get = "/ping"),
}
