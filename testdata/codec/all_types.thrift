// Every Thrift type, for codec tests.
namespace rs codec

enum Color {
    RED = 1,
    GREEN = 2,
    BLUE = 4,
}

struct Point {
    1: required i32 x,
    2: i32 y = 7,
}

union Shape {
    1: Point point,
    2: double radius,
}

struct Item {
    1: i64 id,
    2: optional string name (go.tag = 'json:"item_name"'),
}

struct All {
    1: bool b,
    2: byte i8v,
    3: i16 i16v,
    4: i32 i32v,
    5: i64 i64v,
    6: double d,
    7: string s,
    8: binary bin,
    9: uuid u,
    10: Color color,
    11: list<i32> ints,
    12: set<string> names,
    13: map<string, Item> items,
    14: map<i64, list<Color>> by_id,
    15: map<Point, string> by_point,
    16: map<bool, double> flags,
    17: map<double, i8> ratios,
    18: list<list<map<string, list<i32>>>> nested,
    19: Shape shape,
    20: optional Point point,
    21: list<bool> bools,
    22: map<binary, uuid> blobs,
}

struct Req {
    1: map<string, Item> items,
    2: optional list<Point> points,
}

struct Resp {
    1: string msg,
    2: i64 n = 3,
}

exception Oops {
    1: i32 code,
    2: string why,
}

exception Other {
    1: string what,
}

service Codec {
    Resp Echo(1: Req req) throws (1: Oops oops, 2: Other other),
    i64 Add(1: i32 a, 2: i64 b),
    void Ping(),
    oneway void Fire(1: string event),
    bool Check(1: bool flag),
}
