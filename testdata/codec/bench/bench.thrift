// A realistic request for the codec benchmarks (crates/anycall-codec/benches):
// nested structs, a list of structs, maps, strings, i64s and a binary.
namespace rs bench

enum Status {
    ACTIVE = 1,
    SUSPENDED = 2,
    DELETED = 3,
}

struct Address {
    1: string street,
    2: string city,
    3: string country,
    4: i32 zip,
}

struct User {
    1: i64 id,
    2: string name,
    3: string email,
    4: Address address,
    5: list<string> tags,
    6: Status status,
}

struct LineItem {
    1: i64 sku,
    2: string title,
    3: i32 quantity,
    4: double price,
    5: optional map<string, string> attrs,
}

struct Request {
    1: i64 request_id,
    2: i64 timestamp_ms,
    3: User user,
    4: list<LineItem> items,
    5: map<string, string> headers,
    6: binary signature,
    7: map<string, i64> counters,
    8: bool dry_run,
    9: optional string note,
}

struct Response {
    1: i64 request_id,
    2: i32 code,
    3: string message,
}

service Shop {
    Response Submit(1: Request req),
}
