// Shapes from Apache Thrift's own test IDLs: recursion, large field ids and
// two versions of one struct. The include is resolved next to this file.
include "../base.types.thrift"

/** A linked list through a C++ reference field. */
struct Node {
    1: i32 value,
    2: optional Node & next,
    3: list<Node> children,
}

/** Mutual recursion across two structs. */
struct Grove {
    1: list<Trunk> trunks,
}

struct Trunk {
    1: optional Grove & grove,
    2: string label,
    3: map<string, Trunk> branches,
}

/** Field ids around the compact protocol's delta limit and the i16 edge. */
struct Sparse {
    1: i32 first,
    15: i32 last_short_delta,
    16: i32 first_long_delta,
    1000: string far,
    32767: i64 highest,
}

/** Version one of a record. */
struct VersionOne {
    1: i32 kept_first,
    3: string old_text,
    12: i32 kept_last,
}

/** Version two: id 3 changed type, ids 2 and 4-11 are new. */
struct VersionTwo {
    1: i32 kept_first,
    2: i32 added_int,
    3: byte now_a_byte,
    4: i16 added_short,
    5: i64 added_long,
    6: double added_double,
    7: base.types.Resp added_struct,
    8: list<i32> added_list,
    9: set<i32> added_set,
    10: map<i32, i32> added_map,
    11: string added_string,
    12: i32 kept_last,
}
