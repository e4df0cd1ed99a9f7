// The example IDL bundled with `anycall demo`.
include "base/base.thrift"

namespace go echo
namespace rs echo

enum Mood {
    CALM = 1,
    CURIOUS,
    LOUD = 10,
}

typedef map<string, list<i64>> Scores

struct Item {
    1: required i64 id (go.tag = 'json:"id"'),
    2: string title = "untitled",
    3: optional set<string> tags,
}

struct EchoRequest {
    1: required string message,
    2: i32 times = 1,
    3: Mood mood = Mood.CALM,
    4: optional list<Item> items,
    5: optional Scores scores,
    6: optional binary blob,
    255: optional base.Base Base,
}

struct EchoResponse {
    1: string message,
    2: i32 times,
    3: Mood mood,
    4: optional list<Item> items,
    5: optional Scores scores,
    6: optional binary blob,
    255: base.BaseResp BaseResp,
}

exception EchoError {
    1: i32 code,
    2: string reason,
}

service EchoService extends base.BaseService {
    EchoResponse Echo(1: EchoRequest req) throws (1: EchoError err)
    i64 Add(1: i32 a, 2: i64 b)
    EchoResponse Fail(1: EchoRequest req) throws (1: EchoError err)
    oneway void Notify(1: string event)
}
