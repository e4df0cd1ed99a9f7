package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"
)

// Timeouts of every client of the peer.
const (
	rpcTimeout     = 10 * time.Second
	connectTimeout = 5 * time.Second
)

// ---------------------------------------------------------------- JSON helpers

// parseJSON decodes one JSON value keeping integers exact (as json.Number).
func parseJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// encodeJSON renders v compactly, keys sorted, without HTML escaping.
func encodeJSON(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprintf("%q", fmt.Sprintf("unencodable value: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// show renders v for error messages.
func show(v any) string {
	s := encodeJSON(v)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

var stdout = struct {
	sync.Mutex
	w *bufio.Writer
}{w: bufio.NewWriter(os.Stdout)}

// printLine writes one line to stdout and flushes it.
func printLine(s string) {
	stdout.Lock()
	defer stdout.Unlock()
	stdout.w.WriteString(s)
	stdout.w.WriteByte('\n')
	stdout.w.Flush()
}

// number reads v as a JSON number: exact integer when it is one.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, float64(n), true, true
		}
		if n, err := x.Float64(); err == nil {
			return 0, n, false, true
		}
	case int64:
		return x, float64(x), true, true
	case int:
		return int64(x), float64(x), true, true
	case int32:
		return int64(x), float64(x), true, true
	case float64:
		return 0, x, false, true
	}
	return 0, 0, false, false
}

// jsonEq is JSON equality where numbers compare by value (2 equals 2.0).
func jsonEq(a, b any) bool {
	if ai, af, aInt, ok := number(a); ok {
		bi, bf, bInt, ok := number(b)
		if !ok {
			return false
		}
		if aInt && bInt {
			return ai == bi
		}
		return af == bf
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEq(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, p := range x {
			q, ok := y[k]
			if !ok || !jsonEq(p, q) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case bool, string:
		return a == b
	}
	return false
}

// expand applies the script macros ({"$repeat": S, "times": N}, {"$range": [A, B]})
// and replaces every string equal to "$EVENT" with event.
func expand(v any, event string) (any, error) {
	switch x := v.(type) {
	case string:
		if x == "$EVENT" {
			return event, nil
		}
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			var err error
			if out[i], err = expand(item, event); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		if text, ok := x["$repeat"]; ok {
			s, ok := text.(string)
			if !ok {
				return nil, errors.New("$repeat needs a string")
			}
			times, err := getInt(x["times"], "$repeat times", 32)
			if err != nil || times < 0 {
				return nil, errors.New("$repeat needs times")
			}
			return strings.Repeat(s, int(times)), nil
		}
		if ends, ok := x["$range"]; ok {
			a, _ := ends.([]any)
			if len(a) != 2 {
				return nil, errors.New("$range needs [start, end]")
			}
			lo, err1 := getI64(a[0], "$range")
			hi, err2 := getI64(a[1], "$range")
			if err1 != nil || err2 != nil || hi-lo > 1<<24 {
				return nil, errors.New("$range needs [start, end]")
			}
			out := make([]any, 0, max(hi-lo, 0))
			for i := lo; i < hi; i++ {
				out = append(out, i)
			}
			return out, nil
		}
		out := make(map[string]any, len(x))
		for k, item := range x {
			var err error
			if out[k], err = expand(item, event); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// ---------------------------------------------------------------- files of the repository

// repoRoot finds the checkout this peer belongs to: the first directory, going up
// from the executable and then from the working directory, that holds
// testdata/interop/script.json.
func repoRoot() (string, error) {
	var starts []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for range 10 {
			if _, err := os.Stat(filepath.Join(dir, "testdata", "interop", "script.json")); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("cannot find testdata/interop/script.json above the executable or the working directory")
}

// idlDir is testdata/interop, the include directory of every IDL the peer loads.
func idlDir(root string) string { return filepath.Join(root, "testdata", "interop") }

// genericIDL is the map/JSON generic view of EchoService (idl/echo_generic.thrift).
func genericIDL(root string) string {
	return filepath.Join(root, "interop", "kitex-peer", "idl", "echo_generic.thrift")
}

// ---------------------------------------------------------------- transports

// transportOptions maps a --transport value to Kitex client options. Kitex's
// client starts out Framed (since v0.13) and WithTransportProtocol ORs its bits in
// (TTHeader alone would give TTHeader|Framed = TTHeaderFramed), except PurePayload,
// which clears them: plain TTHeader is PurePayload, then TTHeader.
func transportOptions(name string) ([]client.Option, error) {
	switch name {
	case "ttheader":
		return []client.Option{
			client.WithTransportProtocol(transport.PurePayload),
			client.WithTransportProtocol(transport.TTHeader),
		}, nil
	case "ttheader-framed":
		return []client.Option{client.WithTransportProtocol(transport.TTHeaderFramed)}, nil
	case "framed":
		return []client.Option{client.WithTransportProtocol(transport.Framed)}, nil
	case "buffered":
		return []client.Option{client.WithTransportProtocol(transport.PurePayload)}, nil
	}
	return nil, fmt.Errorf("unknown transport %q (ttheader|ttheader-framed|framed|buffered)", name)
}

// clientOptions are the options every client of the peer uses: one host (or an
// etcd target, registry.go), the
// transport, TTHeader meta keys (method, service names, `isn`, timeouts; Kitex adds
// them only on TTHeader transports) and the timeouts.
func clientOptions(addr, transportName string) ([]client.Option, error) {
	opts, err := transportOptions(transportName)
	if err != nil {
		return nil, err
	}
	where, err := addrOption(addr)
	if err != nil {
		return nil, err
	}
	return append(opts,
		where,
		client.WithMetaHandler(transmeta.ClientTTHeaderHandler),
		client.WithRPCTimeout(rpcTimeout),
		client.WithConnectTimeout(connectTimeout),
	), nil
}

// ---------------------------------------------------------------- servers

// listen binds addr; runServer announces it.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	return ln, nil
}

// exitOnStdinEOF ends the process once stdin reaches end of file.
func exitOnStdinEOF() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
}

// serverOptions are the options of every server of the peer: the bound listener,
// TTHeader meta keys (MsgType, biz status) next to the default metainfo handler, and
// the peer's middlewares.
func serverOptions(ln net.Listener) []server.Option {
	return []server.Option{
		server.WithListener(ln),
		server.WithMetaHandler(transmeta.ServerTTHeaderHandler),
		server.WithMiddleware(metainfoEcho),
		server.WithMiddleware(exactAppError),
		server.WithExitWaitTime(time.Second),
	}
}

// runServer prints the `listening HOST:PORT` line of ln and runs svr (which serves
// ln) until it stops (SIGINT/SIGTERM) or stdin ends.
func runServer(svr server.Server, ln net.Listener, keepStdin bool) error {
	printLine("listening " + ln.Addr().String())
	if !keepStdin {
		exitOnStdinEOF()
	}
	return svr.Run()
}
