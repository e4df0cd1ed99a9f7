// Includes a file that exists only in ../b, the directory the test runs in.
include "lonely.thrift"

struct Uses {
    1: lonely.Alone alone,
}
