// `kitex-peer codec --mode json`: Kitex's JSON generic conversion as a line-oriented
// transcoder, for the differential test against anycall's JSON mode.
//
// Each line runs through the same code as Kitex's JSON generic client and server
// with dynamicgo (pkg/generic/thrift/json.go: WriteJSON and ReadJSON with
// generic.DefaultJSONDynamicGoConvOpts and the variants Kitex derives from it):
//
//	encode:        the client's write of the args struct (JSON of the first argument)
//	decode args:   the server's read of the args struct
//	decode result: the client's read of the result struct (the success value; a
//	               declared exception is an error)
//
// The dynamicgo descriptor is built with the options Kitex's provider uses
// (pkg/generic/thriftidl_provider.go), for the line's method only: Kitex's provider
// refuses a whole IDL when any method has no arguments (echo.thrift's Ping), while
// dynamicgo parses one method on request.

package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cloudwego/dynamicgo/meta"
	dthrift "github.com/cloudwego/dynamicgo/thrift"
	"github.com/cloudwego/gopkg/bufiox"
	"github.com/cloudwego/kitex/pkg/generic/descriptor"
	kthrift "github.com/cloudwego/kitex/pkg/generic/thrift"
)

// maxCodecLine bounds one input line (64 MiB).
const maxCodecLine = 64 << 20

type jsonCodec struct {
	idl     string
	service string
	byName  map[string]*descriptor.ServiceDescriptor
}

// descriptorFor builds (once per method) the dynamicgo descriptor of method.
func (c *jsonCodec) descriptorFor(method string) (*descriptor.ServiceDescriptor, error) {
	if svc, ok := c.byName[method]; ok {
		return svc, nil
	}
	opts := dthrift.Options{
		EnableThriftBase:  true,
		ParseServiceMode:  meta.LastServiceOnly,
		UseDefaultValue:   true,
		SetOptionalBitmap: true,
		ServiceName:       c.service,
	}
	dsvc, err := opts.NewDescriptorFromPathWithMethod(context.Background(), c.idl, []string{filepath.Dir(c.idl)}, method)
	if err != nil {
		return nil, err
	}
	if dsvc.Functions()[method] == nil {
		return nil, fmt.Errorf("no method %s in %s", method, c.idl)
	}
	svc := &descriptor.ServiceDescriptor{Name: dsvc.Name(), DynamicGoDsc: dsvc}
	c.byName[method] = svc
	return svc, nil
}

func (c *jsonCodec) handle(line []byte) map[string]any {
	var req struct{ Op, Method, JSON, Part, Hex string }
	v, err := parseJSON(line)
	if err == nil {
		m, ok := v.(map[string]any)
		if !ok {
			err = errors.New("a request line is a JSON object")
		} else {
			req.Op, _ = m["op"].(string)
			req.Method, _ = m["method"].(string)
			req.JSON, _ = m["json"].(string)
			req.Part, _ = m["part"].(string)
			req.Hex, _ = m["hex"].(string)
		}
	}
	if err != nil {
		return map[string]any{"error": "bad request line: " + err.Error()}
	}
	svc, err := c.descriptorFor(req.Method)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	ctx := context.Background()
	plain, withBase, withException := jsonConvOpts()
	switch req.Op {
	case "encode":
		w := kthrift.NewWriteJSON(svc)
		w.SetDynamicGo(&plain, &withBase)
		var buf []byte
		bw := bufiox.NewBytesWriter(&buf)
		if err := w.Write(ctx, bw, req.JSON, req.Method, true, nil); err != nil {
			return map[string]any{"error": err.Error()}
		}
		if err := bw.Flush(); err != nil {
			return map[string]any{"error": err.Error()}
		}
		return map[string]any{"hex": hex.EncodeToString(buf)}
	case "decode":
		data, err := hex.DecodeString(req.Hex)
		if err != nil {
			return map[string]any{"error": "bad hex: " + err.Error()}
		}
		var isClient bool
		switch req.Part {
		case "args":
		case "result":
			isClient = true
		default:
			return map[string]any{"error": fmt.Sprintf("unknown part %q (args|result)", req.Part)}
		}
		if len(data) == 0 {
			return map[string]any{"error": "empty input"}
		}
		r := kthrift.NewReadJSON(svc)
		r.SetDynamicGo(&plain, &withException)
		out, err := r.Read(ctx, req.Method, isClient, len(data), bufiox.NewBytesReader(data))
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		switch x := out.(type) {
		case string:
			return map[string]any{"json": x}
		case descriptor.Void:
			return map[string]any{"json": ""}
		}
		return map[string]any{"error": fmt.Sprintf("Kitex returned %T", out)}
	}
	return map[string]any{"error": fmt.Sprintf("unknown op %q (encode|decode)", req.Op)}
}

func runCodec(idl, service string) error {
	if idl == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		idl = filepath.Join(idlDir(root), "echo.thrift")
	}
	if _, err := os.Stat(idl); err != nil {
		return err
	}
	// Kitex's provider registers dynamicgo's go.tag mapper unless
	// KITEX_GENERIC_GOTAG_ALIAS_DISABLED=True; do the same.
	if os.Getenv("KITEX_GENERIC_GOTAG_ALIAS_DISABLED") == "True" {
		dthrift.RemoveAnnotationMapper(dthrift.AnnoScopeField, "go.tag")
	} else {
		dthrift.RegisterAnnotationMapper(dthrift.AnnoScopeField,
			dthrift.FindAnnotationMapper("go.tag", dthrift.AnnoScopeField), "go.tag")
	}
	c := &jsonCodec{idl: idl, service: service, byName: map[string]*descriptor.ServiceDescriptor{}}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	for {
		line, err := in.ReadBytes('\n')
		if len(trimSpace(line)) > 0 {
			if len(line) > maxCodecLine {
				printLine(encodeJSON(map[string]any{"error": "line longer than the limit"}))
			} else {
				printLine(encodeJSON(c.handle(line)))
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
