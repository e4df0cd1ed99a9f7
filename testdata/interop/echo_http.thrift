// EchoService of echo.thrift with HTTP mapping annotations, for Kitex's HTTP
// generic client (interop/README.md, "Kitex"): every method of echo.thrift that has
// arguments, with the same names, parameter ids, types and throws, each as a POST
// whose JSON body is the method's first argument (a struct's fields carry no
// annotations, so they all come from the body). Kitex's generic loads no method
// without arguments, so Ping and Fired are left out.
include "echo.thrift"

namespace go interop.echohttp

service EchoService {
    echo.EchoResponse Echo(1: echo.EchoRequest req) throws (1: echo.EchoError err) (api.post = "/echo"),
    i64 Add(1: i32 a, 2: i64 b) (api.post = "/add"),
    oneway void Fire(1: string event) (api.post = "/fire"),
    string Check(1: string s) throws (1: echo.EchoError err, 2: echo.OtherError other) (api.post = "/check"),
}
