// Types every service shares.
namespace go base

struct Info {
    1: string host (go.tag = 'json:"hostname,omitempty"'),
    2: map<string, string> extra,
}

exception Unavailable {
    1: string reason,
    2: i32 retry_after_ms = 100,
}

service BaseService {
    string Health(),
}
