// Included as "base.types.thrift": its scope is `base.types`, which wins
// over the shorter `base` of base.thrift.
namespace go base.types

enum Color {
    RED = 1,
    GREEN = 2 (display = "green"),
    BLUE = 3,
}

enum Shade {
    LIGHT,
    DARK,
}

struct Req {
    1: required i64 id,
    2: list<i32> ids,
}

struct Resp {
    1: i32 code,
    2: string message,
}
