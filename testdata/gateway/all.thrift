// Every field annotation of the HTTP mapping, both directions, for the
// gateway tests.
namespace go gw

enum Color {
    RED = 1,
    GREEN = 2,
}

struct Common {
    1: optional i64 api_version (api.query = 'api_version')
    2: optional i32 token (api.header = 'token')
}

struct Inner {
    1: optional string q (api.query = 'inner_q')
    2: optional string name
}

struct Plain {
    1: optional i64 id (go.tag = 'json:"ID"')
    2: optional string text
}

struct AllReq {
    1: optional i64 q_i64 (api.query = 'q')
    2: optional list<i32> q_list (api.query = 'ql')
    3: optional string h (api.header = 'X-Thing')
    4: optional string c (api.cookie = 'sess')
    5: optional string b (api.body = 'bee')
    6: optional i32 p (api.path = 'p')
    7: optional i64 js (api.js_conv = 'true')
    8: optional string skipped (api.none = 'true')
    9: optional string plain
    10: optional string aliased (go.tag = 'json:"ali"')
    11: optional Common common (api.source = 'not_body_struct')
    12: optional Common common2 (api.no_body_struct = 'true')
    13: optional Inner inner
    14: optional bool flag (api.query = 'flag')
    15: optional double d (api.query = 'd')
    16: optional set<string> tags (api.query = 'tags')
    17: optional byte tiny (api.query = 'tiny')
    18: optional string uri (api.raw_uri = '')
    19: optional string f (api.form = 'ff')
    20: optional Color color (api.query = 'color')
    21: optional string agw_q (agw.source = 'query')
    22: optional Plain nested_plain
}

struct RawReq {
    1: optional string raw (api.raw_body = '')
    2: optional string id (api.query = 'id')
    3: optional string path (api.path = 'path')
    4: optional string pid (api.path = 'id')
}

struct RawBinReq {
    1: optional binary raw (api.raw_body = '')
}

struct RequiredReq {
    1: required i32 must
    2: optional list<i32> nums
}

struct AllResp {
    1: optional string h (api.header = 'X-Out')
    2: optional list<i64> hl (api.header = 'X-List')
    3: optional i32 code (api.http_code = '')
    4: optional string ck (api.cookie = 'sid')
    5: optional string b (api.body = 'bee')
    6: optional string hidden (api.none = '')
    7: optional i64 big (api.js_conv = '')
    8: optional string plain
    9: optional string aliased (go.tag = 'json:"ali"')
    10: optional string agw_h (agw.target = 'header')
    11: optional string q (api.query = 'q')
    12: optional Plain nested
}

exception NotFound {
    1: optional i32 code (api.http_code = '')
    2: optional string msg
    3: optional string why (api.header = 'X-Why')
}

exception Boom {
    1: optional string msg
}

service AllService {
    AllResp All(1: AllReq req) (api.post = '/all/:p', api.get = '/all/:p')
    AllResp Raw(1: RawReq req) (api.post = '/raw')
    AllResp RawBin(1: RawBinReq req) (api.put = '/rawbin')
    AllResp Fail(1: RawReq req) throws (1: NotFound nf, 2: Boom boom) (api.get = '/fail')
    string Str(1: RawReq req) (api.get = '/str')
    void Nothing(1: RawReq req) (api.delete = '/nothing')
    AllResp Static(1: RawReq req) (api.get = '/r/static')
    AllResp Param(1: RawReq req) (api.get = '/r/:id')
    AllResp Deep(1: RawReq req) (api.get = '/r/:id/more')
    AllResp Files(1: RawReq req) (api.get = '/files/*path')
    AllResp Anything(1: RawReq req) (api.any = '/anything')
    AllResp Required(1: RequiredReq req) (api.post = '/required', api.patch = '/required')
    AllResp Echo(1: Plain req) (api.post = '/plain')
    void NoArgs() (api.get = '/noargs')
    AllResp NotRouted(1: RawReq req)
}
