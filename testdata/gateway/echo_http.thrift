// HTTP routes for the interop service (testdata/interop/echo.thrift), so the
// gateway can front the reference peers.
include "../interop/echo.thrift"

service EchoService {
    echo.EchoResponse Echo(1: echo.EchoRequest req) throws (1: echo.EchoError err) (api.post = '/echo')
    void Ping() (api.get = '/ping')
}
