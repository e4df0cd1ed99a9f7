include "nope/missing.thrift"

struct A {
    1: string a,
}
