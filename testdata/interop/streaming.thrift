// Streaming interop IDL shared by anycall's tests and the Kitex peer
// (interop/kitex-peer, `stream-server` / `stream-client`).
//
// Every streaming message is a bare StreamReq or StreamResp struct (no args or
// result wrapper). The servers (the Kitex peer and anycall's test handler) answer:
//   Echo (bidirectional): one StreamResp per StreamReq, {msg, num, items} copied,
//       seq = 0-based index of the request in the stream.
//   Sum (client): after the client closes, one StreamResp with msg = every msg
//       joined by ",", num = the sum of num, seq = the count of requests.
//   Count (server): req.num replies, reply i = {msg: req.msg, num: i, seq: i}.
//   Unary (unary, ping-pong): StreamResp {msg, num, items} copied, seq = 0.
//   Plain (no annotation, ping-pong): as Unary.
// A request msg selects an error instead:
//   "fail"          -> the server ends the stream with a TApplicationException
//                      (Kitex: an error returned from the handler)
//   "sleep:<ms>"    -> the server waits <ms> milliseconds before answering
// and, for Unary only:
//   "meta:<KEY>"    -> msg = the transient metainfo value KEY the server got
//   "biz"           -> a business status error: code 10001, message
//                      "requested biz error", extra {"reason": "asked"}
//   "stats"         -> msg = "cancelled=<n>": the streams the server saw
//                      cancelled by their client
namespace go interop.streams
namespace rs streaming

struct StreamReq {
    1: string msg,
    2: i64 num,
    3: list<i32> items,
}

struct StreamResp {
    1: string msg,
    2: i64 num,
    3: list<i32> items,
    4: i32 seq,
}

service StreamService {
    StreamResp Echo(1: StreamReq req) (streaming.mode = "bidirectional"),
    StreamResp Sum(1: StreamReq req) (streaming.mode = "client"),
    StreamResp Count(1: StreamReq req) (streaming.mode = "server"),
    StreamResp Unary(1: StreamReq req) (streaming.mode = "unary"),
    StreamResp Plain(1: StreamReq req),
}
