include "../corpus/shared/common.thrift"

struct Request {
    1: common.Pagee page,
    2: Missing other,
    3: nothere.Thing thing,
}

service S extends common.NoSuchService {
    Request Get(1: Request r)
}
