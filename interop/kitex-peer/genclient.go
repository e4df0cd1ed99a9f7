// `kitex-peer generic-client`: the script through Kitex's generic clients.
//
//	binary: generic.BinaryThriftGeneric(); whole messages encoded and decoded with
//	        the generated code.
//	map:    generic.MapThriftGeneric(p), binary fields as base64.
//	json:   generic.JSONThriftGeneric(p), p with dynamicgo.
//	http:   generic.HTTPThriftGeneric(p) over testdata/interop/echo_http.thrift,
//	        p with dynamicgo, response as raw JSON body.
//
// The expectation of an Echo case is the echo rule applied to the request as this
// client puts it on the wire: the args struct is written with the same Kitex writer
// the client uses and read back with the generated code. Kitex's generic writers
// fill absent non-optional fields (zero values, or IDL defaults with dynamicgo),
// so "absent" cannot be sent, as with the generated code.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudwego/dynamicgo/conv"
	"github.com/cloudwego/gopkg/bufiox"
	"github.com/cloudwego/gopkg/protocol/thrift"
	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/client/genericclient"
	"github.com/cloudwego/kitex/pkg/generic"
	"github.com/cloudwego/kitex/pkg/generic/descriptor"
	kthrift "github.com/cloudwego/kitex/pkg/generic/thrift"

	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
)

// onewayWait bounds the binary generic's wait for a reply to a oneway call.
const onewayWait = time.Second

// jsonConvOpts are the dynamicgo options of Kitex's JSON generic: the defaults, the
// variant used when a request Base is supplied, and the one the client reads
// results with (ConvertException), derived as pkg/generic/jsonthrift_codec.go does.
func jsonConvOpts() (plain, withBase, withException conv.Options) {
	plain = generic.DefaultJSONDynamicGoConvOpts
	withBase, withException = plain, plain
	withBase.EnableThriftBase = true
	withException.ConvertException = true
	return
}

// httpConvOpts are the dynamicgo options of Kitex's HTTP generic after
// SetBinaryWithBase64(g, true).
func httpConvOpts() (plain, withBase conv.Options) {
	plain = generic.DefaultHTTPDynamicGoConvOpts
	plain.NoBase64Binary = false
	withBase = plain
	withBase.EnableThriftBase = true
	return
}

// newProvider makes Kitex's descriptor provider of path (with dynamicgo's descriptor
// when dynamicgo is set), for a generic client or server to consume.
func newProvider(root, path string, dynamicgo bool) (generic.DescriptorProvider, error) {
	var p generic.DescriptorProvider
	var err error
	if dynamicgo {
		p, err = generic.NewThriftFileProviderWithDynamicGo(path, idlDir(root))
	} else {
		p, err = generic.NewThriftFileProvider(path, idlDir(root))
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return p, nil
}

// loadDescriptor builds a descriptor of path of its own, the same one a provider
// hands to a generic client or server, for the peer's conversions.
func loadDescriptor(root, path string, dynamicgo bool) (*descriptor.ServiceDescriptor, error) {
	p, err := newProvider(root, path, dynamicgo)
	if err != nil {
		return nil, err
	}
	svc := <-p.Provide()
	if dynamicgo && svc.DynamicGoDsc == nil {
		return nil, fmt.Errorf("load %s: Kitex fell back from dynamicgo", path)
	}
	return svc, nil
}

type genericCaller struct {
	mode string
	cli  genericclient.Client
	svc  *descriptor.ServiceDescriptor // nil in binary mode
	addr string
}

func newGenericCaller(root, addr, mode, transportName string) (*genericCaller, error) {
	opts, err := clientOptions(addr, transportName)
	if err != nil {
		return nil, err
	}
	c := &genericCaller{mode: mode, addr: addr}
	var g generic.Generic
	switch mode {
	case "binary":
		g = generic.BinaryThriftGeneric()
	case "map", "json":
		p, err := newProvider(root, genericIDL(root), mode == "json")
		if err != nil {
			return nil, err
		}
		if c.svc, err = loadDescriptor(root, genericIDL(root), mode == "json"); err != nil {
			return nil, err
		}
		if mode == "map" {
			if g, err = generic.MapThriftGeneric(p); err == nil {
				err = generic.SetBinaryWithBase64(g, true)
			}
		} else {
			g, err = generic.JSONThriftGeneric(p)
		}
		if err != nil {
			return nil, err
		}
	case "http":
		idl := filepath.Join(idlDir(root), "echo_http.thrift")
		p, err := newProvider(root, idl, true)
		if err != nil {
			return nil, err
		}
		if c.svc, err = loadDescriptor(root, idl, true); err != nil {
			return nil, err
		}
		if g, err = generic.HTTPThriftGeneric(p, generic.UseRawBodyForHTTPResp(true)); err == nil {
			err = generic.SetBinaryWithBase64(g, true)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown mode %q (binary|map|json|http)", mode)
	}
	if c.cli, err = genericclient.NewClient("EchoService", g, opts...); err != nil {
		return nil, err
	}
	return c, nil
}

// ---------------------------------------------------------------- what a mode cannot express

func (c *genericCaller) skip(cs *callCase) (string, bool) {
	switch c.mode {
	case "map", "json":
		if _, err := c.svc.LookupFunctionByMethod(cs.method); err != nil {
			return "Kitex generic cannot load a method without arguments (\"empty arguments in function: " +
				cs.method + "\"), so idl/echo_generic.thrift leaves " + cs.method + " out", false
		}
		if cs.method == "Add" {
			return "Kitex " + c.mode + " generic passes only the first argument (a); b cannot be sent", false
		}
		if cs.name == "check-other" {
			return "Kitex " + c.mode + " generic models only the first declared exception (err); " +
				"the second (other) is not reported as an exception", true
		}
	case "http":
		switch {
		case cs.method == "Ping" || cs.method == "Fired":
			return "Kitex generic cannot load a method without arguments (\"empty arguments in function: " +
				cs.method + "\"), so testdata/interop/echo_http.thrift leaves " + cs.method + " out", false
		case cs.method == "Add":
			return "Kitex HTTP generic maps the request body to the first argument only (a); b cannot be sent", false
		case cs.expect["exception"] != nil:
			return "Kitex HTTP generic (dynamicgo) reports no declared exception: the first declared " +
				"one comes back as the response body, a later one as an empty body", true
		}
	case "binary":
		if cs.method == "Fire" {
			return "Kitex binary generic (v1) registers every method as two-way and waits for a reply " +
				"that the oneway Fire never gets (the peer waits " + onewayWait.String() + ")", true
		}
	}
	return "", false
}

// ---------------------------------------------------------------- the expectation

func (c *genericCaller) echoExpected(req any) (map[string]any, error) {
	if c.mode == "binary" {
		r, err := requestFromJSON(req)
		if err != nil {
			return nil, err
		}
		return result(responseJSON(echoOf(r))), nil
	}
	argsBytes, err := c.writeEchoArgs(req)
	if err != nil {
		return nil, fmt.Errorf("write the args as the %s generic does: %w", c.mode, err)
	}
	var args echo.EchoServiceEchoArgs
	if _, err := args.FastRead(argsBytes); err != nil {
		return nil, fmt.Errorf("the %s generic's args do not decode: %w", c.mode, err)
	}
	return result(responseJSON(echoOf(args.Req))), nil
}

// writeEchoArgs writes Echo's args struct with the Kitex writer of this mode.
func (c *genericCaller) writeEchoArgs(req any) ([]byte, error) {
	var buf []byte
	w := bufiox.NewBytesWriter(&buf)
	ctx := context.Background()
	var err error
	switch c.mode {
	case "map":
		t, _, e := argType(c.svc, "Echo")
		if e != nil {
			return nil, e
		}
		v, e := toMapGeneric(req, t, "req")
		if e != nil {
			return nil, e
		}
		ws := kthrift.NewWriteStruct(c.svc)
		ws.SetBinaryWithBase64(true)
		err = ws.Write(ctx, w, v, "Echo", true, nil)
	case "json":
		wj := kthrift.NewWriteJSON(c.svc)
		plain, withBase, _ := jsonConvOpts()
		wj.SetDynamicGo(&plain, &withBase)
		err = wj.Write(ctx, w, encodeJSON(req), "Echo", true, nil)
	case "http":
		hreq, e := c.httpRequest("/echo", req)
		if e != nil {
			return nil, e
		}
		wh := kthrift.NewWriteHTTPRequest(c.svc)
		wh.SetBinaryWithBase64(true)
		plain, withBase := httpConvOpts()
		wh.SetDynamicGo(&plain, &withBase)
		err = wh.Write(ctx, w, hreq, "Echo", true, nil)
	default:
		return nil, fmt.Errorf("mode %s", c.mode)
	}
	if err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf, nil
}

// httpRequest is a POST to path with body as its JSON body.
func (c *genericCaller) httpRequest(path string, body any) (*generic.HTTPRequest, error) {
	r, err := http.NewRequest(http.MethodPost, "http://"+c.addr+path, bytes.NewBufferString(encodeJSON(body)))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	return generic.FromHTTPRequest(r)
}

// ---------------------------------------------------------------- calls

func (c *genericCaller) call(ctx context.Context, method string, args map[string]any) map[string]any {
	switch c.mode {
	case "binary":
		return c.callBinary(ctx, method, args)
	case "http":
		return c.callHTTP(ctx, method, args)
	}
	t, name, err := argType(c.svc, method)
	if err != nil {
		return errorOutcome(err.Error())
	}
	var req any
	if c.mode == "map" {
		if req, err = toMapGeneric(args[name], t, name); err != nil {
			return errorOutcome(err.Error())
		}
	} else if t.Type == descriptor.STRING {
		// Kitex's JSON generic takes a string argument as raw text
		if req, err = getStr(args[name], name); err != nil {
			return errorOutcome(err.Error())
		}
	} else {
		req = encodeJSON(args[name])
	}
	resp, err := c.cli.GenericCall(ctx, method, req)
	if err != nil {
		return genericErrOutcome(method, err)
	}
	return c.successOutcome(method, resp)
}

func (c *genericCaller) successOutcome(method string, resp any) map[string]any {
	t, err := successType(c.svc, method)
	if err != nil {
		return errorOutcome(err.Error())
	}
	if t.Type == descriptor.VOID {
		return result(nil)
	}
	v := resp
	if c.mode == "json" && t.Type != descriptor.STRING {
		s, ok := resp.(string)
		if !ok {
			return errorOutcome(fmt.Sprintf("JSON generic returned %T", resp))
		}
		if v, err = parseJSON([]byte(s)); err != nil {
			return errorOutcome(fmt.Sprintf("JSON generic returned unparsable JSON (%v): %s", err, s))
		}
	}
	out, err := canonical(v, t, "result")
	if err != nil {
		return errorOutcome(err.Error())
	}
	return result(out)
}

// httpRoutes are the POST paths of testdata/interop/echo_http.thrift and the
// argument each sends as its JSON body.
var httpRoutes = map[string]struct{ path, arg string }{
	"Echo":  {"/echo", "req"},
	"Check": {"/check", "s"},
	"Fire":  {"/fire", "event"},
}

func (c *genericCaller) callHTTP(ctx context.Context, method string, args map[string]any) map[string]any {
	route, ok := httpRoutes[method]
	if !ok {
		return errorOutcome("not mapped to HTTP: " + method)
	}
	hreq, err := c.httpRequest(route.path, args[route.arg])
	if err != nil {
		return errorOutcome(err.Error())
	}
	resp, err := c.cli.GenericCall(ctx, "", hreq)
	if err != nil {
		return genericErrOutcome(method, err)
	}
	t, err := successType(c.svc, method)
	if err != nil {
		return errorOutcome(err.Error())
	}
	if t.Type == descriptor.VOID {
		return result(nil)
	}
	hr, ok := resp.(*generic.HTTPResponse)
	if !ok {
		return errorOutcome(fmt.Sprintf("HTTP generic returned %T", resp))
	}
	if len(hr.RawBody) == 0 {
		return errorOutcome("HTTP generic returned an empty body")
	}
	body, err := parseJSON(hr.RawBody)
	if err != nil {
		return errorOutcome(fmt.Sprintf("HTTP generic returned an unparsable body (%v): %s", err, hr.RawBody))
	}
	out, err := canonical(body, t, "result")
	if err != nil {
		return errorOutcome(err.Error())
	}
	return result(out)
}

// callBinary encodes the whole CALL message with the generated code and decodes
// the REPLY the same way.
func (c *genericCaller) callBinary(ctx context.Context, method string, args map[string]any) map[string]any {
	var argsMsg, res thrift.FastCodec
	msgType := thrift.CALL
	switch method {
	case "Ping":
		argsMsg, res = &echo.EchoServicePingArgs{}, &echo.EchoServicePingResult{}
	case "Fired":
		argsMsg, res = &echo.EchoServiceFiredArgs{}, &echo.EchoServiceFiredResult{}
	case "Add":
		a, e1 := getInt(args["a"], "a", 32)
		b, e2 := getI64(args["b"], "b")
		if err := errors.Join(e1, e2); err != nil {
			return errorOutcome(err.Error())
		}
		argsMsg, res = &echo.EchoServiceAddArgs{A: int32(a), B: b}, &echo.EchoServiceAddResult{}
	case "Echo":
		req, err := requestFromJSON(args["req"])
		if err != nil {
			return errorOutcome(err.Error())
		}
		argsMsg, res = &echo.EchoServiceEchoArgs{Req: req}, &echo.EchoServiceEchoResult{}
	case "Check":
		s, err := getStr(args["s"], "s")
		if err != nil {
			return errorOutcome(err.Error())
		}
		argsMsg, res = &echo.EchoServiceCheckArgs{S: s}, &echo.EchoServiceCheckResult{}
	case "Fire":
		e, err := getStr(args["event"], "event")
		if err != nil {
			return errorOutcome(err.Error())
		}
		argsMsg, msgType = &echo.EchoServiceFireArgs{Event: e}, thrift.ONEWAY
	default:
		return errorOutcome("script: unknown method " + method)
	}
	buf, err := thrift.MarshalFastMsg(method, msgType, 0, argsMsg)
	if err != nil {
		return errorOutcome(err.Error())
	}
	var opts []callopt.Option
	if msgType == thrift.ONEWAY {
		// Kitex waits for a reply to the oneway call (see skip); do not wait long.
		opts = append(opts, callopt.WithRPCTimeout(onewayWait))
	}
	resp, err := c.cli.GenericCall(ctx, method, buf, opts...)
	if err != nil {
		return errOutcome(err)
	}
	if res == nil {
		return result(nil)
	}
	reply, ok := resp.([]byte)
	if !ok {
		return errorOutcome(fmt.Sprintf("binary generic returned %T", resp))
	}
	if _, _, err := thrift.UnmarshalFastMsg(reply, res); err != nil {
		return errOutcome(err)
	}
	return resultOutcome(res)
}

// resultOutcome maps a decoded generated Result struct to an outcome.
func resultOutcome(res any) map[string]any {
	switch r := res.(type) {
	case *echo.EchoServicePingResult:
		return result(nil)
	case *echo.EchoServiceFiredResult:
		return result(strList(r.Success))
	case *echo.EchoServiceAddResult:
		if r.Success != nil {
			return result(*r.Success)
		}
	case *echo.EchoServiceEchoResult:
		switch {
		case r.Err != nil:
			return exceptionOutcome("err", echoErrorJSON(r.Err))
		case r.Success != nil:
			return result(responseJSON(r.Success))
		}
	case *echo.EchoServiceCheckResult:
		switch {
		case r.Err != nil:
			return exceptionOutcome("err", echoErrorJSON(r.Err))
		case r.Other != nil:
			return exceptionOutcome("other", otherErrorJSON(r.Other))
		case r.Success != nil:
			return result(*r.Success)
		}
	}
	return result(nil) // a reply without a success field
}

// ---------------------------------------------------------------- exceptions as text

// declaredExceptions are the throws clauses of echo.thrift, with their fields, to
// name an exception Kitex's generic client returns only as text.
var declaredExceptions = map[string][]struct {
	name   string
	fields []string
}{
	"Echo":  {{"err", []string{"code", "msg"}}},
	"Check": {{"err", []string{"code", "msg"}}, {"other", []string{"reason"}}},
}

// genericErrOutcome maps an error of a map/JSON/HTTP generic call to an outcome.
// Kitex returns a declared exception as an error whose text ends with the
// exception's value: Go syntax (`map[string]interface {}{"code":42, ...}`) in map
// mode and with Kitex's original reader, JSON with dynamicgo. That text is parsed
// back and the exception named by matching its fields with the throws clause.
func genericErrOutcome(method string, err error) map[string]any {
	text := err.Error()
	var value any
	if i := strings.Index(text, "map[string]interface {}{"); i >= 0 {
		if v, rest, e := parseGoValue(text[i:]); e == nil && strings.TrimSpace(rest) == "" {
			value = v
		}
	} else if i := strings.Index(text, "{"); i >= 0 {
		if v, e := parseJSON([]byte(text[i:])); e == nil {
			value = v
		}
	}
	if m, ok := value.(map[string]any); ok {
		for _, ex := range declaredExceptions[method] {
			if hasOnlyFields(m, ex.fields) {
				return exceptionOutcome(ex.name, m)
			}
		}
	}
	return errOutcome(err)
}

func hasOnlyFields(m map[string]any, fields []string) bool {
	for k := range m {
		found := false
		for _, f := range fields {
			found = found || k == f
		}
		if !found {
			return false
		}
	}
	return len(m) > 0
}

// parseGoValue reads one value printed by %#v from the Go types Kitex's map generic
// reader produces: maps, []interface {}, quoted strings, numbers, bools, nil.
func parseGoValue(s string) (any, string, error) {
	s = strings.TrimLeft(s, " ")
	switch {
	case strings.HasPrefix(s, "map[string]interface {}{"):
		s = strings.TrimPrefix(s, "map[string]interface {}{")
		m := map[string]any{}
		for bound := 0; bound < 1<<16; bound++ {
			s = strings.TrimLeft(s, " ")
			if strings.HasPrefix(s, "}") {
				return m, s[1:], nil
			}
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, "", err
			}
			key, _ := strconv.Unquote(q)
			s = strings.TrimPrefix(s[len(q):], ":")
			v, rest, err := parseGoValue(s)
			if err != nil {
				return nil, "", err
			}
			m[key] = v
			s = strings.TrimPrefix(strings.TrimLeft(rest, " "), ",")
		}
		return nil, "", errors.New("map too long")
	case strings.HasPrefix(s, "[]interface {}{"):
		s = strings.TrimPrefix(s, "[]interface {}{")
		var a []any
		for bound := 0; bound < 1<<16; bound++ {
			s = strings.TrimLeft(s, " ")
			if strings.HasPrefix(s, "}") {
				return a, s[1:], nil
			}
			v, rest, err := parseGoValue(s)
			if err != nil {
				return nil, "", err
			}
			a = append(a, v)
			s = strings.TrimPrefix(strings.TrimLeft(rest, " "), ",")
		}
		return nil, "", errors.New("list too long")
	case strings.HasPrefix(s, "\""):
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return nil, "", err
		}
		v, _ := strconv.Unquote(q)
		return v, s[len(q):], nil
	case strings.HasPrefix(s, "true"):
		return true, s[4:], nil
	case strings.HasPrefix(s, "false"):
		return false, s[5:], nil
	case strings.HasPrefix(s, "<nil>"):
		return nil, s[5:], nil
	}
	end := strings.IndexAny(s, ",} ")
	if end < 0 {
		end = len(s)
	}
	if i, err := strconv.ParseInt(s[:end], 10, 64); err == nil {
		return i, s[end:], nil
	}
	if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
		return f, s[end:], nil
	}
	return nil, "", fmt.Errorf("unreadable Go value at %.20q", s)
}

func runGenericClient(addr, mode, transportName string) (bool, error) {
	root, err := repoRoot()
	if err != nil {
		return false, err
	}
	c, err := newGenericCaller(root, addr, mode, transportName)
	if err != nil {
		return false, err
	}
	cases, err := loadScript(root, newEvent())
	if err != nil {
		return false, err
	}
	return runScript(fmt.Sprintf("generic-client (%s, %s)", mode, transportName), c, cases), nil
}
