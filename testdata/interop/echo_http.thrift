// EchoService of echo.thrift with HTTP mapping annotations, for Kitex's HTTP
// generic client (interop/README.md, "Kitex"). Only Echo is declared: Kitex's HTTP
// mapping fills one request struct from the HTTP request and renders a struct
// response, and loads no method without arguments, so Add (two scalars), Check and
// Fire (a bare string) and Ping and Fired (no arguments) cannot be expressed.
// EchoRequest's fields carry no annotations: they are read from the JSON body, and
// EchoResponse's fields are written to it.
include "echo.thrift"

namespace go interop.echohttp

service EchoService {
    echo.EchoResponse Echo(1: echo.EchoRequest req) throws (1: echo.EchoError err) (api.post = "/echo"),
}
