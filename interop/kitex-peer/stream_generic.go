// The streaming script with Kitex's generic streaming clients
// (genericclient.NewClient: ClientStreaming, ServerStreaming,
// BidirectionalStreaming) in map and JSON mode, for the same
// testdata/interop/streaming.thrift. Messages go through the same
// StreamReq/StreamResp structs as the generated client, converted to and from
// the generic representation, so one script checks all three.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/client/genericclient"
	"github.com/cloudwego/kitex/pkg/generic"

	streaming "anycall/interop/kitex-peer/kitex_gen/interop/streams"
)

type genericStreamCaller struct {
	cli  genericclient.Client
	json bool
}

func newGenericStreamCaller(addr, transportName, mode string) (*genericStreamCaller, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	isJSON := mode == "json"
	p, err := newProvider(root, filepath.Join(idlDir(root), "streaming.thrift"), isJSON)
	if err != nil {
		return nil, err
	}
	var g generic.Generic
	if isJSON {
		g, err = generic.JSONThriftGeneric(p)
	} else {
		g, err = generic.MapThriftGeneric(p)
	}
	if err != nil {
		return nil, err
	}
	tp, err := streamTransport(transportName)
	if err != nil {
		return nil, err
	}
	cli, err := genericclient.NewClient("StreamService", g, client.WithHostPorts(addr), tp)
	if err != nil {
		return nil, err
	}
	return &genericStreamCaller{cli: cli, json: isJSON}, nil
}

func (c *genericStreamCaller) encode(r *streaming.StreamReq) any {
	items := []any{}
	for _, i := range r.Items {
		items = append(items, i)
	}
	if c.json {
		b, _ := json.Marshal(map[string]any{"msg": r.Msg, "num": r.Num, "items": items})
		return string(b)
	}
	return map[string]any{"msg": r.Msg, "num": r.Num, "items": items}
}

func (c *genericStreamCaller) decode(v any) (*streaming.StreamResp, error) {
	var m map[string]any
	switch t := v.(type) {
	case string:
		d := json.NewDecoder(strings.NewReader(t))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("reply %q: %w", t, err)
		}
	case map[string]any:
		m = t
	default:
		return nil, fmt.Errorf("reply of type %T", v)
	}
	out := &streaming.StreamResp{}
	if s, ok := m["msg"].(string); ok {
		out.Msg = s
	}
	if n, _, isInt, ok := number(m["num"]); ok && isInt {
		out.Num = n
	}
	if n, _, isInt, ok := number(m["seq"]); ok && isInt {
		out.Seq = int32(n)
	}
	if items, ok := m["items"].([]any); ok {
		for _, it := range items {
			if n, _, isInt, ok := number(it); ok && isInt {
				out.Items = append(out.Items, int32(n))
			}
		}
	}
	return out, nil
}

func (c *genericStreamCaller) bidi(ctx context.Context, reqs []*streaming.StreamReq) ([]*streaming.StreamResp, error) {
	st, err := c.cli.BidirectionalStreaming(ctx, "Echo")
	if err != nil {
		return nil, err
	}
	var out []*streaming.StreamResp
	var recvErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			v, err := st.Recv(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				recvErr = err
				return
			}
			r, err := c.decode(v)
			if err != nil {
				recvErr = err
				return
			}
			out = append(out, r)
		}
	}()
	for _, r := range reqs {
		if err := st.Send(ctx, c.encode(r)); err != nil {
			break
		}
	}
	_ = st.CloseSend(ctx)
	<-done
	return out, recvErr
}

func (c *genericStreamCaller) clientStream(ctx context.Context, reqs []*streaming.StreamReq) (*streaming.StreamResp, error) {
	st, err := c.cli.ClientStreaming(ctx, "Sum")
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if err := st.Send(ctx, c.encode(r)); err != nil {
			break
		}
	}
	v, err := st.CloseAndRecv(ctx)
	if err != nil {
		return nil, err
	}
	return c.decode(v)
}

func (c *genericStreamCaller) serverStream(ctx context.Context, req *streaming.StreamReq) ([]*streaming.StreamResp, error) {
	st, err := c.cli.ServerStreaming(ctx, "Count", c.encode(req))
	if err != nil {
		return nil, err
	}
	var out []*streaming.StreamResp
	for {
		v, err := st.Recv(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		r, err := c.decode(v)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func (c *genericStreamCaller) unary(ctx context.Context, req *streaming.StreamReq) (*streaming.StreamResp, error) {
	// Kitex's map and JSON generics take a method's single struct
	// parameter itself as the request (and answer the success value).
	v, err := c.cli.GenericCall(ctx, "Unary", c.encode(req))
	if err != nil {
		return nil, err
	}
	return c.decode(v)
}

func (c *genericStreamCaller) cancelAfterOne(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.cli.BidirectionalStreaming(ctx, "Echo")
	if err != nil {
		return err
	}
	if err := st.Send(ctx, c.encode(req("one", 1))); err != nil {
		return err
	}
	if _, err := st.Recv(ctx); err != nil {
		return fmt.Errorf("first reply: %w", err)
	}
	cancel()
	if _, err := st.Recv(ctx); err != nil {
		return err
	}
	return fmt.Errorf("a reply after cancel")
}
