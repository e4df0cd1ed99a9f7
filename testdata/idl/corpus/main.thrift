// The corpus: every construct the front end accepts, across three files.
include "shared/common.thrift"
include "item/item.thrift"
cpp_include "<unordered_map>"

namespace go life
namespace rs life
namespace py.twisted life.twisted
namespace * life

const string GREETING = "hello \"world\""
const string SINGLE = 'it\'s'
const double RATIO = 2.5e-3
const double WHOLE = 3
const i64 BIG = 0x7fffffffffffffff
const i16 NEG = -12
const byte SMALL = 127
const i8 TINY = -1
const bool YES = true
const bool NO = 0
const i32 PAGE = common.MAX_PAGE
const common.Status PICKED = common.DEFAULT_STATUS
const list<i32> PRIMES = [2, 3, 5; 7,]
const map<string, list<i32>> GROUPS = {"odd": [1, 3], "even": [2, 4]}
const map<i32, string> NAMES = {1: "one", 2: "two"}
const item.Item SAMPLE = {"id": 7, "title": "seven", "tags": ["x"]}
const uuid NIL = "00000000-0000-0000-0000-000000000000"

typedef list<map<string, item.Item>> Catalog

/** Paging, with every requiredness. */
struct Page {
    1: required i32 offset,
    2: optional i32 limit = PAGE,
    3: i32 total
}

struct Everything {
    1: bool flag,
    2: byte b,
    3: i8 c,
    4: i16 d,
    5: i32 e,
    6: i64 f,
    7: double g,
    8: string h,
    9: binary i,
    10: uuid j,
    11: list<list<i32>> nested,
    12: set<string> names,
    13: map<i64, set<common.Status>> by_id,
    14: map<item.Item, string> keyed_by_struct,
    15: Catalog catalog,
    16: item.Lookup lookup,
    17: optional Page page = {"offset": 0, "limit": 10},
    18: common.Status status = common.Status.DELETED,
    19: string (agw.key = "v") annotated_type,
    20: optional string aliased (go.tag = "json:\"alias_name,omitempty\""),
    -1: i32 negative_id,
    string no_id,
}

exception NotFound {
    1: string what (api.body = "what"),
} (code = "404")

service LifeService extends common.BaseService {
    Page ListItems(1: Page page, 2: string query = "") throws (1: NotFound nf, 2: common.CommonError ce)
        (api.get = "/life/items/:query", api.serializer = 'json', flag),
    item.Item GetItem(1: item.ItemId id) throws (1: NotFound nf);
    oneway void Touch(1: i64 id, 2: common.Status status)
    void Clear()
    Catalog Dump(),
} (api.base_domain = "life.example.com", api.service_path = "/life")

service AdminService extends LifeService {
    // A name of its own: reusing an inherited one (`Clear`) is an error.
    void Purge(1: bool hard, 2: string reason),
    map<string, Everything> Inspect(1: set<i64> ids)
}
