// `kitex-peer server`: Kitex generated code serving EchoService and MirrorService
// on one port.
//
// Routing (kitex server/service.go, SearchService): a request whose TTHeader carries
// the IDL service name (`isn`) goes to that service. Without `isn` (Framed, Buffered,
// or a TTHeader without the key) Kitex looks the method up by name, fallback service
// first; EchoService is registered as the fallback, so such requests always reach
// EchoService, and MirrorService is reachable only with `isn: MirrorService`. Without
// a fallback Kitex refuses to start, because Check and Add exist in both services.

package main

import (
	"context"
	"errors"
	"sync"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/server"

	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
	"anycall/interop/kitex-peer/kitex_gen/interop/echo/echoservice"
	"anycall/interop/kitex-peer/kitex_gen/interop/multi/mirrorservice"
)

// The script's requested outcomes.
const (
	appErrorMessage = "requested application error"
	bizCode         = 10001
	bizMessage      = "requested biz error"
)

func requestedAppError() error {
	return remote.NewTransErrorWithMsg(remote.InternalError, appErrorMessage)
}

func requestedBizError() error {
	return kerrors.NewBizStatusErrorWithExtra(bizCode, bizMessage, map[string]string{"reason": "asked"})
}

// metainfoEcho answers every metainfo value the server sees with a backward value:
// transient K=V as `seen-transient-K`=V, persistent K=V as `seen-persistent-K`=V.
func metainfoEcho(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp any) error {
		for k, v := range metainfo.GetAllValues(ctx) {
			metainfo.SendBackwardValue(ctx, "seen-transient-"+k, v)
		}
		for k, v := range metainfo.GetAllPersistentValues(ctx) {
			metainfo.SendBackwardValue(ctx, "seen-persistent-"+k, v)
		}
		return next(ctx, req, resp)
	}
}

// exactAppError lets a handler's TApplicationException go out as it was made. Kitex
// wraps every handler error as a "biz error"; for a wrapped *remote.TransError it
// then sends the message with " [biz error]" appended ("requested application error
// [biz error]"). Returning the TransError itself keeps type and message exact.
func exactAppError(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp any) error {
		err := next(ctx, req, resp)
		var te *remote.TransError
		if err != nil && errors.Is(err, kerrors.ErrBiz) && errors.As(err, &te) {
			return te
		}
		return err
	}
}

// echoHandler implements EchoService as interop/README.md describes it.
type echoHandler struct {
	mu    sync.Mutex
	fired []string
}

func (h *echoHandler) Echo(ctx context.Context, req *echo.EchoRequest) (*echo.EchoResponse, error) {
	switch req.Action {
	case "throw":
		return nil, &echo.EchoError{Code: 42, Msg: "requested exception"}
	case "fail":
		return nil, requestedAppError()
	case "biz":
		return nil, requestedBizError()
	}
	return echoOf(req), nil
}

func (h *echoHandler) Add(ctx context.Context, a int32, b int64) (int64, error) {
	return int64(a) + b, nil // Go integer addition wraps
}

func (h *echoHandler) Ping(ctx context.Context) error { return nil }

func (h *echoHandler) Fire(ctx context.Context, event string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fired = append(h.fired, event)
	return nil
}

func (h *echoHandler) Fired(ctx context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string{}, h.fired...), nil
}

func (h *echoHandler) Check(ctx context.Context, s string) (string, error) {
	switch s {
	case "err":
		return "", &echo.EchoError{Code: 7, Msg: "check rejected"}
	case "other":
		return "", &echo.OtherError{Reason: "other failure"}
	}
	return "checked: " + s, nil
}

// mirrorHandler implements MirrorService (testdata/interop/multi.thrift).
type mirrorHandler struct{}

func (*mirrorHandler) Check(ctx context.Context, s string) (string, error) {
	return "mirror: " + s, nil
}

func (*mirrorHandler) Add(ctx context.Context, a int32, b int64) (int64, error) {
	return int64(a) * b, nil // wraps
}

func runCodegenServer(addr string, keepStdin bool, register string, weight int) error {
	reg, err := registryOptions(register, weight)
	if err != nil {
		return err
	}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	opts := append(serverOptions(ln), server.WithCompatibleMiddlewareForUnary())
	opts = append(opts, reg...)
	svr := server.NewServer(opts...)
	if err := echoservice.RegisterService(svr, &echoHandler{}, server.WithFallbackService()); err != nil {
		return err
	}
	if err := mirrorservice.RegisterService(svr, &mirrorHandler{}); err != nil {
		return err
	}
	return runServer(svr, ln, keepStdin)
}
