// `kitex-peer stream-server` and `kitex-peer stream-client`: Kitex generated
// StreamX code (kitex -streamx) for testdata/interop/streaming.thrift, the
// reference for anycall's TTHeader Streaming and Thrift-over-gRPC cells. The
// generic streaming clients (map, JSON) are in stream_generic.go.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"

	streaming "anycall/interop/kitex-peer/kitex_gen/interop/streams"
	"anycall/interop/kitex-peer/kitex_gen/interop/streams/streamservice"
)

const streamUsage = `  kitex-peer stream-server [--addr HOST:PORT] [--keep-stdin]
      Serves StreamService (testdata/interop/streaming.thrift) with Kitex StreamX
      generated code; one port answers TTHeader Streaming, gRPC and, for Unary and
      Plain, the ping-pong transports (Kitex detects per connection). A Unary call
      with msg "stats" answers msg "cancelled=N": the streams whose context the
      server saw cancelled so far.
  kitex-peer stream-client --addr HOST:PORT [--transport ttstream|grpc] [--case NAME]
                           [--mode codegen|map|json]
      Runs the streaming script (all four kinds, errors, timeout, cancellation, a
      10,000-message stream, 100 concurrent streams) and prints one JSON line per
      case; exits 0 only when every case gave the expected outcome. --transport grpc
      is Kitex's transport.GRPC (Thrift over gRPC, application/grpc+thrift): the
      codegen client sends /streams.StreamService/<Method>, the generic clients
      /StreamService/<Method>, and the unary case is unary Thrift over gRPC (the
      Unary_args / Unary_result structs as the one message each way).
  kitex-peer stream-bench --addr HOST:PORT [--transport ttstream|grpc] [--size BYTES]
                          [--concurrency C] [--messages N]
      Bidirectional Echo load: C streams each sending and receiving N messages of
      a SIZE-byte msg; prints {"messages":..,"seconds":..,"mps":..}.`

// streamFailure is the message of the error a handler returns for msg "fail".
const streamFailure = "requested stream failure"

type streamHandler struct{ cancelled atomic.Int64 }

func respOf(req *streaming.StreamReq, seq int32) *streaming.StreamResp {
	return &streaming.StreamResp{Msg: req.Msg, Num: req.Num, Items: req.Items, Seq: seq}
}

// outcome applies a request's msg: "fail" is an error, "sleep:MS" waits.
func (h *streamHandler) outcome(ctx context.Context, req *streaming.StreamReq) error {
	if req.Msg == "fail" {
		return remote.NewTransErrorWithMsg(remote.InternalError, streamFailure)
	}
	if ms, ok := strings.CutPrefix(req.Msg, "sleep:"); ok {
		n, _ := strconv.Atoi(ms)
		select {
		case <-time.After(time.Duration(n) * time.Millisecond):
		case <-ctx.Done():
			h.cancelled.Add(1)
			return ctx.Err()
		}
	}
	return nil
}

func (h *streamHandler) recvErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		h.cancelled.Add(1)
	}
	return err
}

func (h *streamHandler) Echo(ctx context.Context, st streaming.StreamService_EchoServer) error {
	for seq := int32(0); ; seq++ {
		req, err := st.Recv(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return h.recvErr(ctx, err)
		}
		if err := h.outcome(ctx, req); err != nil {
			return err
		}
		if err := st.Send(ctx, respOf(req, seq)); err != nil {
			return err
		}
	}
}

func (h *streamHandler) Sum(ctx context.Context, st streaming.StreamService_SumServer) error {
	var msgs []string
	var sum int64
	for {
		req, err := st.Recv(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return h.recvErr(ctx, err)
		}
		if err := h.outcome(ctx, req); err != nil {
			return err
		}
		msgs = append(msgs, req.Msg)
		sum += req.Num
	}
	return st.SendAndClose(ctx, &streaming.StreamResp{Msg: strings.Join(msgs, ","), Num: sum, Seq: int32(len(msgs))})
}

func (h *streamHandler) Count(ctx context.Context, req *streaming.StreamReq, st streaming.StreamService_CountServer) error {
	if err := h.outcome(ctx, req); err != nil {
		return err
	}
	for i := int64(0); i < req.Num; i++ {
		if err := st.Send(ctx, &streaming.StreamResp{Msg: req.Msg, Num: i, Seq: int32(i)}); err != nil {
			return h.recvErr(ctx, err)
		}
	}
	return nil
}

func (h *streamHandler) Unary(ctx context.Context, req *streaming.StreamReq) (*streaming.StreamResp, error) {
	if req.Msg == "stats" {
		return &streaming.StreamResp{Msg: fmt.Sprintf("cancelled=%d", h.cancelled.Load())}, nil
	}
	if key, ok := strings.CutPrefix(req.Msg, "meta:"); ok {
		v, _ := metainfo.GetValue(ctx, key)
		return &streaming.StreamResp{Msg: v}, nil
	}
	if req.Msg == "biz" {
		return nil, requestedBizError()
	}
	if err := h.outcome(ctx, req); err != nil {
		return nil, err
	}
	return respOf(req, 0), nil
}

func (h *streamHandler) Plain(ctx context.Context, req *streaming.StreamReq) (*streaming.StreamResp, error) {
	return h.Unary(ctx, req)
}

func runStreamServer(addr string, keepStdin bool) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	svr := streamservice.NewServer(&streamHandler{}, server.WithListener(ln), server.WithExitWaitTime(time.Second))
	return runServer(svr, ln, keepStdin)
}

// ---------------------------------------------------------------- client

func streamTransport(name string) (client.Option, error) {
	switch name {
	case "", "ttstream":
		return client.WithTransportProtocol(transport.TTHeaderStreaming), nil
	case "grpc":
		return client.WithTransportProtocol(transport.GRPC), nil
	}
	return client.WithTransportProtocol(transport.TTHeaderStreaming), fmt.Errorf("unknown streaming transport %q (ttstream|grpc)", name)
}

func newStreamClient(addr, transportName string) (streamservice.Client, error) {
	tp, err := streamTransport(transportName)
	if err != nil {
		return nil, err
	}
	return streamservice.NewClient("StreamService", client.WithHostPorts(addr), tp)
}

// streamCaller runs the script's operations with one kind of client.
type streamCaller interface {
	bidi(ctx context.Context, reqs []*streaming.StreamReq) ([]*streaming.StreamResp, error)
	clientStream(ctx context.Context, reqs []*streaming.StreamReq) (*streaming.StreamResp, error)
	serverStream(ctx context.Context, req *streaming.StreamReq) ([]*streaming.StreamResp, error)
	unary(ctx context.Context, req *streaming.StreamReq) (*streaming.StreamResp, error)
	// cancelAfterOne opens Echo, sends one message, receives its reply and
	// cancels the stream; the error of the next Recv.
	cancelAfterOne(ctx context.Context) error
}

type codegenStreamCaller struct{ cli streamservice.Client }

func (c codegenStreamCaller) bidi(ctx context.Context, reqs []*streaming.StreamReq) ([]*streaming.StreamResp, error) {
	st, err := c.cli.Echo(ctx)
	if err != nil {
		return nil, err
	}
	var out []*streaming.StreamResp
	var recvErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r, err := st.Recv(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				recvErr = err
				return
			}
			out = append(out, r)
		}
	}()
	for _, r := range reqs {
		if err := st.Send(ctx, r); err != nil {
			break // the receive side reports why
		}
	}
	_ = st.CloseSend(ctx)
	<-done
	return out, recvErr
}

func (c codegenStreamCaller) clientStream(ctx context.Context, reqs []*streaming.StreamReq) (*streaming.StreamResp, error) {
	st, err := c.cli.Sum(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if err := st.Send(ctx, r); err != nil {
			break
		}
	}
	return st.CloseAndRecv(ctx)
}

func (c codegenStreamCaller) serverStream(ctx context.Context, req *streaming.StreamReq) ([]*streaming.StreamResp, error) {
	st, err := c.cli.Count(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*streaming.StreamResp
	for {
		r, err := st.Recv(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func (c codegenStreamCaller) unary(ctx context.Context, req *streaming.StreamReq) (*streaming.StreamResp, error) {
	return c.cli.Unary(ctx, req)
}

func (c codegenStreamCaller) cancelAfterOne(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	st, err := c.cli.Echo(ctx)
	if err != nil {
		cancel()
		return err
	}
	if err := st.Send(ctx, &streaming.StreamReq{Msg: "one", Num: 1}); err != nil {
		cancel()
		return err
	}
	if _, err := st.Recv(ctx); err != nil {
		cancel()
		return fmt.Errorf("first reply: %w", err)
	}
	cancel()
	_, err = st.Recv(ctx)
	if err == nil {
		return errors.New("a reply after cancel")
	}
	return err
}

type streamCase struct {
	name string
	run  func(ctx context.Context, c streamCaller) (any, error)
}

// grpcOnlyCases need unary Thrift over gRPC: with TTHeader Streaming, Kitex
// sends unary calls ping-pong without metainfo or business status.
var grpcOnlyCases = map[string]bool{"unary-metainfo": true, "unary-biz": true}

func req(msg string, num int64, items ...int32) *streaming.StreamReq {
	return &streaming.StreamReq{Msg: msg, Num: num, Items: items}
}

func respJSON(r *streaming.StreamResp) map[string]any {
	if r == nil {
		return nil
	}
	items := []any{}
	for _, i := range r.Items {
		items = append(items, i)
	}
	return map[string]any{"msg": r.Msg, "num": r.Num, "items": items, "seq": r.Seq}
}

func respsJSON(rs []*streaming.StreamResp) []any {
	out := []any{}
	for _, r := range rs {
		out = append(out, respJSON(r))
	}
	return out
}

// want compares got with an expected JSON text.
func want(got any, expected string) (any, error) {
	exp, err := parseJSON([]byte(expected))
	if err != nil {
		return nil, err
	}
	g, err := parseJSON([]byte(encodeJSON(got)))
	if err != nil {
		return nil, err
	}
	if !jsonEq(g, exp) {
		return got, fmt.Errorf("got %s, expected %s", encodeJSON(got), expected)
	}
	return got, nil
}

func wantErr(err error, contains string, took, within time.Duration) (any, error) {
	if err == nil {
		return nil, fmt.Errorf("no error, expected one containing %q", contains)
	}
	if !strings.Contains(err.Error(), contains) {
		return err.Error(), fmt.Errorf("error %q does not contain %q", err.Error(), contains)
	}
	if within > 0 && took > within {
		return err.Error(), fmt.Errorf("error after %v, expected within %v", took, within)
	}
	return err.Error(), nil
}

var streamCases = []streamCase{
	{"bidi", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.bidi(ctx, []*streaming.StreamReq{req("a", 1, 1, 2), req("b", -2), req("", 1<<40, -7)})
		if err != nil {
			return nil, err
		}
		return want(respsJSON(out), `[{"msg":"a","num":1,"items":[1,2],"seq":0},{"msg":"b","num":-2,"items":[],"seq":1},{"msg":"","num":1099511627776,"items":[-7],"seq":2}]`)
	}},
	{"bidi-empty", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.bidi(ctx, nil)
		if err != nil {
			return nil, err
		}
		return want(respsJSON(out), `[]`)
	}},
	{"client", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.clientStream(ctx, []*streaming.StreamReq{req("x", 1), req("y", 2), req("z", 39)})
		if err != nil {
			return nil, err
		}
		return want(respJSON(out), `{"msg":"x,y,z","num":42,"items":[],"seq":3}`)
	}},
	{"server", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.serverStream(ctx, req("n", 3))
		if err != nil {
			return nil, err
		}
		return want(respsJSON(out), `[{"msg":"n","num":0,"items":[],"seq":0},{"msg":"n","num":1,"items":[],"seq":1},{"msg":"n","num":2,"items":[],"seq":2}]`)
	}},
	{"unary", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.unary(ctx, req("u", 7, 3))
		if err != nil {
			return nil, err
		}
		return want(respJSON(out), `{"msg":"u","num":7,"items":[3],"seq":0}`)
	}},
	{"unary-metainfo", func(ctx context.Context, c streamCaller) (any, error) {
		ctx = metainfo.WithValue(ctx, "TRACE_ID", "t-1")
		out, err := c.unary(ctx, req("meta:TRACE_ID", 0))
		if err != nil {
			return nil, err
		}
		return want(respJSON(out), `{"msg":"t-1","num":0,"items":[],"seq":0}`)
	}},
	{"unary-biz", func(ctx context.Context, c streamCaller) (any, error) {
		_, err := c.unary(ctx, req("biz", 0))
		if err == nil {
			return nil, errors.New("no error, expected a business status error")
		}
		return want(errOutcome(err), `{"biz_error":{"code":10001,"message":"requested biz error","extra":{"reason":"asked"}}}`)
	}},
	{"bidi-fail", func(ctx context.Context, c streamCaller) (any, error) {
		out, err := c.bidi(ctx, []*streaming.StreamReq{req("ok", 1), req("fail", 2)})
		if len(out) != 1 {
			return respsJSON(out), fmt.Errorf("%d replies before the failure, expected 1", len(out))
		}
		return wantErr(err, streamFailure, 0, 0)
	}},
	{"server-fail", func(ctx context.Context, c streamCaller) (any, error) {
		_, err := c.serverStream(ctx, req("fail", 3))
		return wantErr(err, streamFailure, 0, 0)
	}},
	{"client-fail", func(ctx context.Context, c streamCaller) (any, error) {
		_, err := c.clientStream(ctx, []*streaming.StreamReq{req("fail", 1)})
		return wantErr(err, streamFailure, 0, 0)
	}},
	{"timeout", func(ctx context.Context, c streamCaller) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.bidi(ctx, []*streaming.StreamReq{req("sleep:5000", 0)})
		return wantErr(err, "", time.Since(start), 3*time.Second)
	}},
	{"cancel", func(ctx context.Context, c streamCaller) (any, error) {
		start := time.Now()
		err := c.cancelAfterOne(ctx)
		return wantErr(err, "", time.Since(start), 3*time.Second)
	}},
	{"many", func(ctx context.Context, c streamCaller) (any, error) {
		const n = 10000
		reqs := make([]*streaming.StreamReq, n)
		for i := range reqs {
			reqs[i] = req("m", int64(i))
		}
		out, err := c.bidi(ctx, reqs)
		if err != nil {
			return nil, err
		}
		if len(out) != n {
			return nil, fmt.Errorf("%d replies, expected %d", len(out), n)
		}
		for i, r := range out {
			if r.Num != int64(i) || r.Seq != int32(i) || r.Msg != "m" {
				return respJSON(r), fmt.Errorf("reply %d is wrong", i)
			}
		}
		return map[string]any{"replies": n}, nil
	}},
	{"concurrent", func(ctx context.Context, c streamCaller) (any, error) {
		const streams, each = 100, 20
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for s := 0; s < streams; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				reqs := make([]*streaming.StreamReq, each)
				for i := range reqs {
					reqs[i] = req(strconv.Itoa(s), int64(i))
				}
				out, err := c.bidi(ctx, reqs)
				if err == nil && len(out) != each {
					err = fmt.Errorf("stream %d: %d replies", s, len(out))
				}
				for i, r := range out {
					if err == nil && (r.Msg != strconv.Itoa(s) || r.Num != int64(i)) {
						err = fmt.Errorf("stream %d: reply %d is %s", s, i, encodeJSON(respJSON(r)))
					}
				}
				errs <- err
			}(s)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return map[string]any{"streams": streams, "each": each}, nil
	}},
}

func runStreamClient(addr, transportName, mode, only string) (bool, error) {
	var c streamCaller
	switch mode {
	case "", "codegen":
		cli, err := newStreamClient(addr, transportName)
		if err != nil {
			return false, err
		}
		c = codegenStreamCaller{cli}
	case "map", "json":
		gc, err := newGenericStreamCaller(addr, transportName, mode)
		if err != nil {
			return false, err
		}
		c = gc
	default:
		return false, usageError{fmt.Sprintf("unknown --mode %q (codegen|map|json)", mode)}
	}
	allOK := true
	for _, sc := range streamCases {
		if only != "" && sc.name != only || grpcOnlyCases[sc.name] && transportName != "grpc" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		got, err := sc.run(ctx, c)
		cancel()
		line := map[string]any{"case": sc.name, "ok": err == nil}
		if got != nil {
			line["got"] = got
		}
		if err != nil {
			allOK = false
			line["error"] = err.Error()
		}
		printLine(encodeJSON(line))
	}
	return allOK, nil
}

// ---------------------------------------------------------------- bench

func runStreamBench(addr, transportName string, size, concurrency, messages int) error {
	cli, err := newStreamClient(addr, transportName)
	if err != nil {
		return err
	}
	msg := strings.Repeat("x", size)
	// warm up the connection
	if _, err := (codegenStreamCaller{cli}).bidi(context.Background(), []*streaming.StreamReq{req(msg, 0)}); err != nil {
		return err
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			st, err := cli.Echo(ctx)
			if err != nil {
				errs <- err
				return
			}
			r := req(msg, 1)
			for i := 0; i < messages; i++ {
				if err := st.Send(ctx, r); err != nil {
					errs <- err
					return
				}
				if _, err := st.Recv(ctx); err != nil {
					errs <- err
					return
				}
			}
			_ = st.CloseSend(ctx)
			if _, err := st.Recv(ctx); err != io.EOF {
				errs <- fmt.Errorf("end of stream: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	secs := time.Since(start).Seconds()
	total := concurrency * messages
	printLine(encodeJSON(map[string]any{"messages": total, "seconds": secs, "mps": float64(total) / secs}))
	return nil
}

// runStreamCommand runs the stream-* sub-commands, which take their own flags.
func runStreamCommand(cmd string, argv []string) int {
	a := struct {
		addr, transport, only, mode string
		keepStdin                   bool
		size, concurrency, messages int
	}{size: 1024, concurrency: 1, messages: 10000}
	for i := 0; i < len(argv); i++ {
		key, inline, hasInline := strings.Cut(argv[i], "=")
		val := func() string {
			if hasInline {
				return inline
			}
			if i+1 < len(argv) {
				i++
				return argv[i]
			}
			return ""
		}
		num := func() int { n, _ := strconv.Atoi(val()); return n }
		switch key {
		case "--addr":
			a.addr = val()
		case "--transport":
			a.transport = val()
		case "--case":
			a.only = val()
		case "--mode":
			a.mode = val()
		case "--keep-stdin":
			a.keepStdin = true
		case "--size":
			a.size = num()
		case "--concurrency":
			a.concurrency = num()
		case "--messages":
			a.messages = num()
		default:
			fmt.Fprintf(os.Stderr, "kitex-peer: unknown argument %q\n%s\n", argv[i], streamUsage)
			return 2
		}
	}
	var err error
	ok := true
	switch cmd {
	case "stream-server":
		err = runStreamServer(orDefault(a.addr), a.keepStdin)
	case "stream-client":
		if a.addr == "" {
			err = usageError{"stream-client needs --addr"}
			break
		}
		ok, err = runStreamClient(a.addr, a.transport, a.mode, a.only)
	case "stream-bench":
		if a.addr == "" || a.size < 0 || a.concurrency <= 0 || a.messages <= 0 {
			err = usageError{"stream-bench needs --addr and positive counts"}
			break
		}
		err = runStreamBench(a.addr, a.transport, a.size, a.concurrency, a.messages)
	default:
		err = usageError{fmt.Sprintf("unknown subcommand %q", cmd)}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kitex-peer: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, streamUsage)
		}
		return 2
	}
	if !ok {
		return 1
	}
	return 0
}
