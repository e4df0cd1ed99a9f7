// Interop IDL shared by anycall's tests and the reference peers under interop/.
//
// EchoService.Echo copies every field of EchoRequest into the field with the same
// id and name in EchoResponse (ids 1..22), and answers field 255 with
// BaseResp{StatusMessage: "ok", StatusCode: 0, Extra: <req.Base.Extra when set>}.
// The request's `action` field selects the outcome:
//   ""      -> normal reply
//   "throw" -> EchoError{code: 42, msg: "requested exception"} (declared exception `err`)
//   "fail"  -> TApplicationException INTERNAL_ERROR (6), message "requested application error"
// See interop/README.md for the other methods.
include "base/base.thrift"

namespace go interop.echo
namespace py echo
namespace rs echo

typedef i64 SeqId
typedef list<string> Labels

enum Color {
    RED = 1,
    GREEN = 2,
    BLUE = 3,
    BLACK = 0,
}

struct Inner {
    1: required string id,
    2: optional i32 weight,
    3: Labels labels,
}

union Shape {
    1: Inner inner,
    2: string name,
    3: double radius,
}

struct EchoRequest {
    1: required string message,
    2: string action = "",
    3: bool flag,
    4: byte b,
    5: i8 tiny,
    6: i16 small,
    7: i32 medium,
    8: i64 big,
    9: double ratio,
    10: binary blob,
    11: list<i32> ints,
    12: set<string> tags,
    13: map<string, i64> counts,
    14: map<i64, string> names_by_id,
    15: map<string, Inner> inners,
    16: list<map<string, list<i32>>> nested,
    17: Color color,
    18: SeqId seq,
    19: Shape shape,
    20: Inner inner,
    21: optional string note,
    22: i32 level = 7,
    255: optional base.Base Base,
}

struct EchoResponse {
    1: required string message,
    2: string action = "",
    3: bool flag,
    4: byte b,
    5: i8 tiny,
    6: i16 small,
    7: i32 medium,
    8: i64 big,
    9: double ratio,
    10: binary blob,
    11: list<i32> ints,
    12: set<string> tags,
    13: map<string, i64> counts,
    14: map<i64, string> names_by_id,
    15: map<string, Inner> inners,
    16: list<map<string, list<i32>>> nested,
    17: Color color,
    18: SeqId seq,
    19: Shape shape,
    20: Inner inner,
    21: optional string note,
    22: i32 level = 7,
    255: optional base.BaseResp BaseResp,
}

exception EchoError {
    1: i32 code,
    2: string msg,
}

exception OtherError {
    1: string reason,
}

service EchoService {
    // Echoes the request; see the header comment for `action`.
    EchoResponse Echo(1: EchoRequest req) throws (1: EchoError err),
    // a + b (wrapping on overflow).
    i64 Add(1: i32 a, 2: i64 b),
    void Ping(),
    // Recorded by the server; read back with Fired().
    oneway void Fire(1: string event),
    // Every event received by Fire so far, in arrival order.
    list<string> Fired(),
    // "err" -> EchoError{code: 7, msg: "check rejected"};
    // "other" -> OtherError{reason: "other failure"}; anything else -> "checked: " + s.
    string Check(1: string s) throws (1: EchoError err, 2: OtherError other),
}
