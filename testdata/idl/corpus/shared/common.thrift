/*
 * Shared definitions: enums, constants and a base service.
 */
namespace go shared.common
namespace * common

# Status of a thing; implicit values continue from the last explicit one.
enum Status {
    UNKNOWN = 0,
    ACTIVE,                         // 1
    DISABLED (deprecated = "use DELETED"),
    DELETED = 0x10;
    ARCHIVED
} (go.enum = "true")

const i32 MAX_PAGE = 100
const Status DEFAULT_STATUS = Status.ACTIVE
const list<string> DEFAULT_TAGS = ["a", 'b']

struct Base {
    1: string LogID = "",
    2: string Caller = "",
    3: string Addr = "",
    4: string Client = "",
    6: optional map<string, string> Extra,
}

struct BaseResp {
    1: string StatusMessage = "",
    2: i32 StatusCode = 0,
    3: optional map<string, string> Extra,
}

exception CommonError {
    1: i32 code
    2: string message
}

service BaseService {
    void Ping(),
    string Version() (api.get = "/version")
}
