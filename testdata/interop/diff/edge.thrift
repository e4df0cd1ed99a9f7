// Edge values for the JSON differential check against Kitex's JSON generic
// (crates/anycall-rpc/tests/rpc/kitex.rs): every scalar as a map key, every
// scalar in a list, and nesting.

struct Leaf {
    1: string s,
    2: optional i32 n,
}

struct Edge {
    1: map<i8, string> by_i8,
    2: map<i16, string> by_i16,
    3: map<i32, string> by_i32,
    4: map<i64, string> by_i64,
    5: map<string, string> by_string,
    6: map<bool, string> by_bool,
    7: map<double, string> by_double,
    8: list<bool> bools,
    9: list<byte> bytes,
    10: list<i16> shorts,
    11: list<i32> ints,
    12: list<i64> longs,
    13: list<double> doubles,
    14: list<string> strings,
    15: list<binary> blobs,
    16: list<list<list<i32>>> deep,
    17: map<string, list<map<string, Leaf>>> tree,
    18: set<i64> long_set,
    19: Leaf leaf,
    20: binary blob,
    21: string text,
    // Kitex's JSON generic names this field by its go.tag json name.
    22: string tagged (go.tag = 'json:"renamed"'),
}

service EdgeService {
    Edge Mirror(1: Edge edge),
}
