// `kitex-peer generic-server`: EchoService answered by Kitex's generic servers
// (genericserver.NewServer).
//
//	binary: generic.BinaryThriftGeneric(); the handler gets the whole CALL message,
//	        decodes the args with the generated code and returns a whole REPLY
//	        message (seq id copied), so it can send declared exceptions.
//	map:    generic.MapThriftGeneric(p) over idl/echo_generic.thrift.
//	json:   generic.JSONThriftGeneric(p), p with dynamicgo, same IDL.
//
// Kitex's map and JSON generic servers cannot write declared exceptions (their
// writers skip exception fields) and decode only a method's first argument. Where
// the script asks for what they cannot send, the handler answers with a
// TApplicationException INTERNAL_ERROR (6) whose message names what was asked for:
// echo-throw, check-err and check-other get `<name>: <exception as JSON> (a Kitex
// <mode> generic server cannot send declared exceptions)`, Add gets `Add: b is not
// decoded ...`. Ping and Fired are not in the IDL Kitex can load.

package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/cloudwego/gopkg/protocol/thrift"
	"github.com/cloudwego/kitex/pkg/generic"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/server/genericserver"

	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
)

type genericHandler struct {
	mode  string
	logic echoHandler // the codegen server's behaviour, for binary mode
	mu    sync.Mutex
	fired []string
}

// unsendable is the answer to a request for what a map/JSON generic server cannot
// send.
func (h *genericHandler) unsendable(what string) error {
	return remote.NewTransErrorWithMsg(remote.InternalError,
		what+" (a Kitex "+h.mode+" generic server cannot send declared exceptions)")
}

func (h *genericHandler) GenericCall(ctx context.Context, method string, request interface{}) (interface{}, error) {
	switch h.mode {
	case "binary":
		return h.binaryCall(ctx, request)
	case "map":
		return h.mapCall(method, request)
	default:
		return h.jsonCall(method, request)
	}
}

func (h *genericHandler) fire(event string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fired = append(h.fired, event)
}

// ---------------------------------------------------------------- binary

func (h *genericHandler) binaryCall(ctx context.Context, request interface{}) (interface{}, error) {
	msg, ok := request.([]byte)
	if !ok {
		return nil, fmt.Errorf("binary generic handed the handler %T", request)
	}
	method, _, seq, n, err := thrift.Binary.ReadMessageBegin(msg)
	if err != nil {
		return nil, err
	}
	body := msg[n:]
	var res thrift.FastCodec
	switch method {
	case "Echo":
		var a echo.EchoServiceEchoArgs
		if _, err := a.FastRead(body); err != nil {
			return nil, remote.NewTransError(remote.ProtocolError, err)
		}
		r := &echo.EchoServiceEchoResult{}
		resp, err := h.logic.Echo(ctx, a.Req)
		if ee, ok := err.(*echo.EchoError); ok {
			r.Err = ee
		} else if err != nil {
			return nil, err
		}
		r.Success = resp
		res = r
	case "Add":
		var a echo.EchoServiceAddArgs
		if _, err := a.FastRead(body); err != nil {
			return nil, remote.NewTransError(remote.ProtocolError, err)
		}
		v, _ := h.logic.Add(ctx, a.A, a.B)
		res = &echo.EchoServiceAddResult{Success: &v}
	case "Ping":
		res = &echo.EchoServicePingResult{}
	case "Fire":
		var a echo.EchoServiceFireArgs
		if _, err := a.FastRead(body); err != nil {
			return nil, remote.NewTransError(remote.ProtocolError, err)
		}
		h.fire(a.Event)
		// Kitex's binary generic registers every method as two-way, so whatever is
		// returned goes out as a reply to the oneway call: an empty result struct.
		res = &echo.EchoServicePingResult{}
	case "Fired":
		h.mu.Lock()
		v := append([]string{}, h.fired...)
		h.mu.Unlock()
		res = &echo.EchoServiceFiredResult{Success: v}
	case "Check":
		var a echo.EchoServiceCheckArgs
		if _, err := a.FastRead(body); err != nil {
			return nil, remote.NewTransError(remote.ProtocolError, err)
		}
		r := &echo.EchoServiceCheckResult{}
		v, err := h.logic.Check(ctx, a.S)
		switch e := err.(type) {
		case nil:
			r.Success = &v
		case *echo.EchoError:
			r.Err = e
		case *echo.OtherError:
			r.Other = e
		}
		res = r
	default:
		return nil, remote.NewTransErrorWithMsg(remote.UnknownMethod, "unknown method "+method)
	}
	return thrift.MarshalFastMsg(method, thrift.REPLY, seq, res)
}

// ---------------------------------------------------------------- map

func (h *genericHandler) mapCall(method string, request interface{}) (interface{}, error) {
	switch method {
	case "Echo":
		req, ok := request.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("Echo: map generic handed the handler %T", request)
		}
		switch req["action"] {
		case "throw":
			return nil, h.unsendable(`err: {"code":42,"msg":"requested exception"}`)
		case "fail":
			return nil, requestedAppError()
		case "biz":
			return nil, requestedBizError()
		}
		resp := map[string]interface{}{}
		for k, v := range req {
			if k != "Base" {
				resp[k] = v
			}
		}
		baseResp := map[string]interface{}{"StatusMessage": "ok", "StatusCode": int32(0)}
		if b, ok := req["Base"].(map[string]interface{}); ok && b["Extra"] != nil {
			baseResp["Extra"] = b["Extra"]
		}
		resp["BaseResp"] = baseResp
		return resp, nil
	case "Check":
		s, ok := request.(string)
		if !ok {
			return nil, fmt.Errorf("Check: map generic handed the handler %T", request)
		}
		return h.check(s)
	case "Fire":
		s, ok := request.(string)
		if !ok {
			return nil, fmt.Errorf("Fire: map generic handed the handler %T", request)
		}
		h.fire(s)
		return nil, nil
	case "Add":
		return nil, h.addUndecoded(request)
	}
	return nil, remote.NewTransErrorWithMsg(remote.UnknownMethod, "unknown method "+method)
}

func (h *genericHandler) check(s string) (interface{}, error) {
	switch s {
	case "err":
		return nil, h.unsendable(`err: {"code":7,"msg":"check rejected"}`)
	case "other":
		return nil, h.unsendable(`other: {"reason":"other failure"}`)
	}
	return "checked: " + s, nil
}

func (h *genericHandler) addUndecoded(a interface{}) error {
	return remote.NewTransErrorWithMsg(remote.InternalError, fmt.Sprintf(
		"Add: b is not decoded (a Kitex %s generic server reads only the first argument; a = %v)", h.mode, a))
}

// ---------------------------------------------------------------- JSON

func (h *genericHandler) jsonCall(method string, request interface{}) (interface{}, error) {
	text, ok := request.(string)
	if !ok {
		return nil, fmt.Errorf("%s: JSON generic handed the handler %T", method, request)
	}
	switch method {
	case "Echo":
		v, err := parseJSON([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("Echo: unparsable request JSON %q: %w", text, err)
		}
		req, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Echo: request JSON is not an object: %s", text)
		}
		switch req["action"] {
		case "throw":
			return nil, h.unsendable(`err: {"code":42,"msg":"requested exception"}`)
		case "fail":
			return nil, requestedAppError()
		case "biz":
			return nil, requestedBizError()
		}
		resp := map[string]any{}
		for k, x := range req {
			if k != "Base" {
				resp[k] = x
			}
		}
		baseResp := map[string]any{"StatusMessage": "ok", "StatusCode": int64(0)}
		if b, ok := req["Base"].(map[string]any); ok && b["Extra"] != nil {
			baseResp["Extra"] = b["Extra"]
		}
		resp["BaseResp"] = baseResp
		return encodeJSON(resp), nil
	case "Check":
		return h.check(text)
	case "Fire":
		h.fire(text)
		return nil, nil
	case "Add":
		return nil, h.addUndecoded(text)
	}
	return nil, remote.NewTransErrorWithMsg(remote.UnknownMethod, "unknown method "+method)
}

func runGenericServer(addr, mode string, keepStdin bool) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	var g generic.Generic
	switch mode {
	case "binary":
		g = generic.BinaryThriftGeneric()
	case "map", "json":
		p, err := newProvider(root, genericIDL(root), mode == "json")
		if err != nil {
			return err
		}
		if mode == "map" {
			g, err = generic.MapThriftGeneric(p)
		} else {
			g, err = generic.JSONThriftGeneric(p)
		}
		if err != nil {
			return err
		}
	default:
		return usageError{fmt.Sprintf("unknown generic server mode %q (binary|map|json)", mode)}
	}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	svr := genericserver.NewServer(&genericHandler{mode: mode}, g, serverOptions(ln)...)
	return runServer(svr, ln, keepStdin)
}
