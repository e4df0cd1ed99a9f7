// EchoService of testdata/interop/echo.thrift as Kitex's map and JSON generic can
// load it (interop/README.md, "Kitex"). Kitex's generic IDL parser refuses any method
// without arguments ("empty arguments in function: Ping"), so Ping() and Fired() are
// left out; every other method is declared exactly as in echo.thrift (same names,
// parameter ids, types and throws), with the types taken from echo.thrift itself.
// Load it with testdata/interop as an include directory.
include "echo.thrift"

namespace go interop.echogeneric

service EchoService {
    echo.EchoResponse Echo(1: echo.EchoRequest req) throws (1: echo.EchoError err),
    i64 Add(1: i32 a, 2: i64 b),
    oneway void Fire(1: string event),
    string Check(1: string s) throws (1: echo.EchoError err, 2: echo.OtherError other),
}
