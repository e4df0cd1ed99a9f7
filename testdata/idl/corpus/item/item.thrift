// Items live in a sub-directory and include a sibling directory.
include "../shared/common.thrift"

namespace go life.item
namespace rs life_item

typedef binary (python.type = "bytes") Blob
typedef i64 ItemId
typedef ItemId ParentId

struct Item {
    1: required ItemId id (api.path = "id", go.tag = 'json:"id"'),
    2: string title = "untitled";
    3: optional list<string> tags = common.DEFAULT_TAGS
    4: common.Status status = common.Status.ACTIVE,
    5: optional Blob payload,
    6: optional ParentId parent,
    7: optional uuid ref,
}

union Lookup {
    1: ItemId by_id,
    2: string by_title,
}
