// The call script runner shared by every client mode: it expands
// testdata/interop/script.json, makes each call through a caller and prints one
// JSON line per case (interop/README.md, "Output contract").

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudwego/gopkg/protocol/thrift"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/remote"
)

// How often `Fired` is asked again before a missing event counts as a failure.
const (
	firedAttempts = 200
	firedPause    = 10 * time.Millisecond
)

// callCase is one expanded entry of the script.
type callCase struct {
	name   string
	method string
	args   map[string]any
	expect map[string]any
	// run replaces the caller for cases the peer adds (metainfo); extra members
	// it returns are added to the line.
	run func(ctx context.Context) (outcome, extra map[string]any)
}

// caller makes the script's calls in one client mode.
type caller interface {
	// call makes one call with the script's JSON arguments and returns its outcome.
	call(ctx context.Context, method string, args map[string]any) map[string]any
	// echoExpected is the outcome expected for an {"echo": true} case.
	echoExpected(req any) (map[string]any, error)
	// skip says why a case is not compared in this mode ("" = it is). With observe
	// set the call is still made and its outcome printed as "observed".
	skip(c *callCase) (reason string, observe bool)
}

func result(v any) map[string]any { return map[string]any{"result": v} }

func exceptionOutcome(name string, v any) map[string]any {
	return map[string]any{"exception": name, "value": v}
}

// errorOutcome is an "error" outcome; a Go stack Kitex appends to a recovered
// panic ("\nstack=...") is left out.
func errorOutcome(text string) map[string]any {
	if i := strings.Index(text, "\nstack="); i >= 0 {
		text = text[:i]
	}
	return map[string]any{"error": text}
}

// errOutcome maps a failed Kitex call to an outcome: a business status error, a
// TApplicationException, or anything else as text.
func errOutcome(err error) map[string]any {
	if biz, ok := kerrors.FromBizStatusError(err); ok {
		extra := map[string]any{}
		for k, v := range biz.BizExtra() {
			extra[k] = v
		}
		return map[string]any{"biz_error": map[string]any{
			"code": int64(biz.BizStatusCode()), "message": biz.BizMessage(), "extra": extra,
		}}
	}
	var te *remote.TransError
	if errors.As(err, &te) {
		return map[string]any{"app_error": map[string]any{"type": int64(te.TypeID()), "message": te.Error()}}
	}
	var ae *thrift.ApplicationException
	if errors.As(err, &ae) {
		return map[string]any{"app_error": map[string]any{"type": int64(ae.TypeID()), "message": ae.Msg()}}
	}
	return errorOutcome(err.Error())
}

// loadScript reads and expands testdata/interop/script.json.
func loadScript(root, event string) ([]*callCase, error) {
	path := filepath.Join(root, "testdata", "interop", "script.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	top, err := obj(doc, "script.json")
	if err != nil {
		return nil, err
	}
	calls, err := getArr(top["calls"], "script.json: calls")
	if err != nil {
		return nil, err
	}
	var out []*callCase
	for _, c := range calls {
		m, err := obj(c, "script.json: call")
		if err != nil {
			return nil, err
		}
		name, _ := m["case"].(string)
		if name == "" {
			name = "?"
		}
		method, err := getStr(m["call"], "script: call")
		if err != nil {
			return nil, err
		}
		args, err := expand(m["args"], event)
		if err != nil {
			return nil, err
		}
		expect, err := expand(m["expect"], event)
		if err != nil {
			return nil, err
		}
		am, err := obj(args, name+": args")
		if err != nil {
			return nil, err
		}
		em, err := obj(expect, name+": expect")
		if err != nil {
			return nil, err
		}
		out = append(out, &callCase{name: name, method: method, args: am, expect: em})
	}
	return out, nil
}

func newEvent() string {
	return fmt.Sprintf("kitex-%d-%d", os.Getpid(), time.Now().UnixNano())
}

func containsItem(outcome map[string]any, item string) bool {
	list, ok := outcome["result"].([]any)
	if !ok {
		return false
	}
	for _, x := range list {
		if x == item {
			return true
		}
	}
	return false
}

// runScript runs cases through c, prints one line per case and a summary on stderr
// (labelled label); it reports whether every compared case gave its expected outcome.
func runScript(label string, c caller, cases []*callCase) bool {
	var passed, failed, skipped int
	for _, cs := range cases {
		line := map[string]any{"case": cs.name, "call": cs.method}
		if reason, observe := c.skip(cs); reason != "" {
			line["ok"] = true
			line["skipped"] = reason
			if observe {
				line["observed"] = c.call(context.Background(), cs.method, cs.args)
			}
			printLine(encodeJSON(line))
			skipped++
			continue
		}
		expected := map[string]any(cs.expect)
		var got, extra map[string]any
		item, isContains := cs.expect["contains"].(string)
		switch {
		case cs.run != nil:
			got, extra = cs.run(context.Background())
		case cs.expect["echo"] != nil:
			exp, err := c.echoExpected(cs.args["req"])
			got = c.call(context.Background(), cs.method, cs.args)
			if err != nil {
				// no expectation: the call's outcome is shown, not compared
				extra = map[string]any{"observed": got}
				got = errorOutcome("cannot build the expectation: " + err.Error())
			} else {
				expected = exp
			}
		case isContains:
			for attempt := 1; ; attempt++ {
				got = c.call(context.Background(), cs.method, cs.args)
				_, isResult := got["result"]
				if !isResult || containsItem(got, item) || attempt >= firedAttempts {
					break
				}
				time.Sleep(firedPause)
			}
		default:
			got = c.call(context.Background(), cs.method, cs.args)
		}
		var ok bool
		if isContains {
			ok = containsItem(got, item)
		} else {
			ok = jsonEq(got, expected)
		}
		for k, v := range got {
			line[k] = v
		}
		for k, v := range extra {
			line[k] = v
		}
		line["ok"] = ok
		if !ok {
			line["expected"] = expected
		}
		printLine(encodeJSON(line))
		if ok {
			passed++
		} else {
			failed++
		}
	}
	fmt.Fprintf(os.Stderr, "kitex-peer %s: %d passed, %d failed, %d skipped\n", label, passed, failed, skipped)
	return failed == 0
}
