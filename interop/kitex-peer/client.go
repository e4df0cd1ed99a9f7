// `kitex-peer client`: the Kitex generated clients (EchoService, MirrorService)
// running the interop script.

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/bytedance/gopkg/cloud/metainfo"

	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
	"anycall/interop/kitex-peer/kitex_gen/interop/echo/echoservice"
	"anycall/interop/kitex-peer/kitex_gen/interop/multi/mirrorservice"
)

type clientArgs struct {
	addr      string
	transport string
	service   string
	metainfo  bool
	biz       bool
	only      string
}

// codegenCaller calls EchoService with the generated client.
type codegenCaller struct {
	cli echoservice.Client
}

func (c *codegenCaller) echoExpected(req any) (map[string]any, error) {
	r, err := requestFromJSON(req)
	if err != nil {
		return nil, err
	}
	return result(responseJSON(echoOf(r))), nil
}

func (c *codegenCaller) skip(*callCase) (string, bool) { return "", false }

func (c *codegenCaller) call(ctx context.Context, method string, args map[string]any) map[string]any {
	out, err := c.callTyped(ctx, method, args)
	if err != nil {
		var ee *echo.EchoError
		var oe *echo.OtherError
		switch {
		case errors.As(err, &ee):
			return exceptionOutcome("err", echoErrorJSON(ee))
		case errors.As(err, &oe):
			return exceptionOutcome("other", otherErrorJSON(oe))
		}
		return errOutcome(err)
	}
	return out
}

func (c *codegenCaller) callTyped(ctx context.Context, method string, args map[string]any) (map[string]any, error) {
	switch method {
	case "Ping":
		return result(nil), c.cli.Ping(ctx)
	case "Add":
		a, err := getInt(args["a"], "a", 32)
		if err != nil {
			return errorOutcome(err.Error()), nil
		}
		b, err := getI64(args["b"], "b")
		if err != nil {
			return errorOutcome(err.Error()), nil
		}
		v, err := c.cli.Add(ctx, int32(a), b)
		return result(v), err
	case "Echo":
		req, err := requestFromJSON(args["req"])
		if err != nil {
			return errorOutcome(err.Error()), nil
		}
		r, err := c.cli.Echo(ctx, req)
		if err != nil {
			return nil, err
		}
		if r == nil {
			// a reply without success field, e.g. a biz status error over a
			// transport without TTHeader
			return result(nil), nil
		}
		return result(responseJSON(r)), nil
	case "Check":
		s, err := getStr(args["s"], "s")
		if err != nil {
			return errorOutcome(err.Error()), nil
		}
		v, err := c.cli.Check(ctx, s)
		return result(v), err
	case "Fire":
		e, err := getStr(args["event"], "event")
		if err != nil {
			return errorOutcome(err.Error()), nil
		}
		return result(nil), c.cli.Fire(ctx, e)
	case "Fired":
		v, err := c.cli.Fired(ctx)
		return result(strList(v)), err
	}
	return errorOutcome("script: unknown method " + method), nil
}

// metainfoCase is the `--metainfo` case: Ping with a transient and a persistent
// value, reporting every backward value received.
func metainfoCase(ping func(ctx context.Context) error) *callCase {
	return &callCase{
		name: "metainfo", method: "Ping", args: map[string]any{}, expect: result(nil),
		run: func(ctx context.Context) (map[string]any, map[string]any) {
			ctx = metainfo.WithValue(ctx, "interop-t", "tv")
			ctx = metainfo.WithPersistentValue(ctx, "interop-p", "pv")
			ctx = metainfo.WithBackwardValues(ctx)
			out := result(nil)
			if err := ping(ctx); err != nil {
				out = errOutcome(err)
			}
			backward := map[string]any{}
			for k, v := range metainfo.RecvAllBackwardValues(ctx) {
				backward[k] = v
			}
			return out, map[string]any{"backward": backward}
		},
	}
}

// bizCase is the `--biz` case: Echo asking for a business status error. It sets
// `inner`: Kitex's generated code writes an unset `inner` as an empty struct, which
// lacks Inner's required `id`, and a Kitex server rejects that before the handler.
func bizCase() *callCase {
	return &callCase{
		name: "biz", method: "Echo",
		args: map[string]any{"req": map[string]any{
			"message": "please biz", "action": "biz", "level": int64(7),
			"inner": map[string]any{"id": "biz", "labels": []any{}}, "shape": map[string]any{"name": ""},
		}},
		expect: map[string]any{"biz_error": map[string]any{
			"code": int64(bizCode), "message": bizMessage, "extra": map[string]any{"reason": "asked"},
		}},
	}
}

// mirrorCaller calls MirrorService with the generated client.
type mirrorCaller struct {
	cli mirrorservice.Client
}

func (c *mirrorCaller) echoExpected(any) (map[string]any, error) {
	return nil, errors.New("MirrorService has no Echo")
}

func (c *mirrorCaller) skip(*callCase) (string, bool) { return "", false }

func (c *mirrorCaller) call(ctx context.Context, method string, args map[string]any) map[string]any {
	var out map[string]any
	var err error
	switch method {
	case "Check":
		s, e := getStr(args["s"], "s")
		if e != nil {
			return errorOutcome(e.Error())
		}
		var v string
		v, err = c.cli.Check(ctx, s)
		out = result(v)
	case "Add":
		a, e1 := getInt(args["a"], "a", 32)
		b, e2 := getI64(args["b"], "b")
		if e := errors.Join(e1, e2); e != nil {
			return errorOutcome(e.Error())
		}
		var v int64
		v, err = c.cli.Add(ctx, int32(a), b)
		out = result(v)
	default:
		return errorOutcome("MirrorService has no method " + method)
	}
	if err != nil {
		return errOutcome(err)
	}
	return out
}

// mirrorScript is the script of `client --service MirrorService`: answers that
// differ from EchoService's, so a call routed to the wrong service fails.
func mirrorScript() []*callCase {
	return []*callCase{
		{name: "mirror-check", method: "Check", args: map[string]any{"s": "x"}, expect: result("mirror: x")},
		{name: "mirror-add", method: "Add", args: map[string]any{"a": int64(6), "b": int64(7)}, expect: result(int64(42))},
	}
}

func runClient(a clientArgs) (bool, error) {
	opts, err := clientOptions(a.addr, a.transport)
	if err != nil {
		return false, err
	}
	label := fmt.Sprintf("client (%s, %s)", a.service, a.transport)
	switch a.service {
	case "EchoService":
		cli, err := echoservice.NewClient(destService(a.addr, "EchoService"), opts...)
		if err != nil {
			return false, err
		}
		root, err := repoRoot()
		if err != nil {
			return false, err
		}
		cases, err := loadScript(root, newEvent())
		if err != nil {
			return false, err
		}
		if a.metainfo {
			cases = append(cases, metainfoCase(func(ctx context.Context) error { return cli.Ping(ctx) }))
		}
		if a.biz {
			cases = append(cases, bizCase())
		}
		if a.only != "" {
			cases = onlyCase(cases, a.only)
			if len(cases) == 0 {
				return false, fmt.Errorf("--case %q: no such case", a.only)
			}
		}
		return runScript(label, &codegenCaller{cli: cli}, cases), nil
	case "MirrorService":
		if a.metainfo || a.biz {
			return false, errors.New("--metainfo and --biz need --service EchoService")
		}
		cli, err := mirrorservice.NewClient(destService(a.addr, "MirrorService"), opts...)
		if err != nil {
			return false, err
		}
		return runScript(label, &mirrorCaller{cli: cli}, mirrorScript()), nil
	}
	return false, fmt.Errorf("unknown service %q (EchoService|MirrorService)", a.service)
}

// onlyCase keeps the case named name.
func onlyCase(cases []*callCase, name string) []*callCase {
	var out []*callCase
	for _, c := range cases {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}
