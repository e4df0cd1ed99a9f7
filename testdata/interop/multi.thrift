// Second service for multi-service interop tests: served next to EchoService on
// one port by the Kitex peer (interop/README.md, "Kitex"). Its answers differ from
// EchoService's on purpose, so a call routed to the wrong service shows:
//   Check(s)  -> "mirror: " + s        (EchoService.Check answers "checked: " + s)
//   Add(a, b) -> a * b, wrapping at i64 (EchoService.Add answers a + b)
include "echo.thrift"

namespace go interop.multi
namespace py multi
namespace rs multi

service MirrorService {
    string Check(1: string s),
    i64 Add(1: i32 a, 2: i64 b),
}
