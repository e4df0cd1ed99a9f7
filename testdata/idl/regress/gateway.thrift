// A gateway in the style of public IDLs, with the constructs Apache Thrift
// accepts that other front ends often refuse: include files with dots in
// their names, C++ reference fields, uuids in braces, and enum values named
// through a typedef, through their module, or by their last segment only.
include "base.thrift"
include "base.types.thrift"
include "shapes/tree.thrift"

namespace go gateway
namespace java org.example.gateway

typedef base.types.Color Colour

const uuid TENANT = '{00112233-4455-6677-8899-AABBCCDDEEFF}'
const Colour FAVOURITE = Colour.GREEN
// The value of an included enum, named by its module only.
const base.types.Color FALLBACK = base.types.BLUE
const i32 RED_CODE = Colour.RED

struct Request {
    1: required base.types.Req req,
    2: optional base.Info info,
    3: Colour colour = Colour.RED,
    // `Shade` has no BLUE: Apache reads the last segment in the field's enum.
    4: base.types.Color shade = Shade.BLUE,
    5: required string trace = "none",
    6: optional tree.Node & head,
    7: binary token = "secret",
    8: list<base.types.Shade> shades = [base.types.Shade.DARK],
} (api.request = "true")

union Target {
    1: string host,
    2: i32 shard,
}

service Gateway extends base.BaseService {
    base.types.Resp Forward(1: required Request req, 2: i32 retries = 3 (api.query = "retries"))
        throws (1: base.Unavailable unavailable) (api.post = "/forward"),
    oneway void Notify(1: string event),
    tree.Node Walk(1: tree.Node root),
    void Route(1: Target target),
    tree.VersionTwo Upgrade(1: tree.VersionOne old),
} (api.service_path = "/gw")
