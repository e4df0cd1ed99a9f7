// Command dynamicgo measures CloudWeGo dynamicgo's JSON ⇄ Thrift Binary
// transcoders (conv/j2t, conv/t2j) on the codec benchmark fixtures, the
// anchor for anycall's own transcoders in bench/run.
//
//	go run . -idl ../../testdata/codec/bench/bench.thrift \
//	    -fixtures ../../testdata/codec/bench/fixtures -time 2s
//
// For each fixture it prints one JSON line: the fixture's JSON and Thrift
// sizes, and MB/s (10^6 bytes per second) of JSON read for j2t and of
// Thrift read for t2j, on one goroutine.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudwego/dynamicgo/conv"
	"github.com/cloudwego/dynamicgo/conv/j2t"
	"github.com/cloudwego/dynamicgo/conv/t2j"
	"github.com/cloudwego/dynamicgo/thrift"
)

type result struct {
	Fixture    string  `json:"fixture"`
	JSONBytes  int     `json:"json_bytes"`
	ThriftLen  int     `json:"thrift_bytes"`
	J2TMBps    float64 `json:"j2t_mbps"`
	T2JMBps    float64 `json:"t2j_mbps"`
	J2TNsPerOp float64 `json:"j2t_ns"`
	T2JNsPerOp float64 `json:"t2j_ns"`
}

// measure runs op in growing batches until one batch takes at least d and
// returns the time per call of that batch.
func measure(d time.Duration, op func() error) (time.Duration, error) {
	for n := 1; ; n *= 2 {
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := op(); err != nil {
				return 0, err
			}
		}
		el := time.Since(start)
		if el >= d {
			return el / time.Duration(n), nil
		}
	}
}

func main() {
	idl := flag.String("idl", "testdata/codec/bench/bench.thrift", "the benchmark IDL")
	dir := flag.String("fixtures", "testdata/codec/bench/fixtures", "directory of <name>.json fixtures")
	names := flag.String("names", "100b,1k,6k,150k", "fixtures to run, comma-separated")
	d := flag.Duration("time", 2*time.Second, "measuring time per direction and fixture")
	flag.Parse()

	ctx := context.Background()
	svc, err := thrift.NewDescritorFromPath(ctx, *idl)
	if err != nil {
		fail("load %s: %v", *idl, err)
	}
	fn, err := svc.LookupFunctionByMethod("Submit")
	if err != nil {
		fail("method Submit: %v", err)
	}
	desc := fn.Request().Struct().FieldById(1).Type()

	opts := conv.Options{}
	jc := j2t.NewBinaryConv(opts)
	tc := t2j.NewBinaryConv(opts)

	for _, name := range split(*names) {
		text, err := os.ReadFile(filepath.Join(*dir, name+".json"))
		if err != nil {
			fail("fixture %s: %v", name, err)
		}
		tbytes, err := jc.Do(ctx, desc, text)
		if err != nil {
			fail("j2t %s: %v", name, err)
		}
		back, err := tc.Do(ctx, desc, tbytes)
		if err != nil {
			fail("t2j %s: %v", name, err)
		}
		var check map[string]any
		if err := json.Unmarshal(back, &check); err != nil {
			fail("t2j %s gave invalid JSON: %v", name, err)
		}

		jbuf := make([]byte, 0, len(tbytes)*2)
		j2tTime, err := measure(*d, func() error {
			jbuf = jbuf[:0]
			return jc.DoInto(ctx, desc, text, &jbuf)
		})
		if err != nil {
			fail("j2t %s: %v", name, err)
		}
		tbuf := make([]byte, 0, len(text)*2)
		t2jTime, err := measure(*d, func() error {
			tbuf = tbuf[:0]
			return tc.DoInto(ctx, desc, tbytes, &tbuf)
		})
		if err != nil {
			fail("t2j %s: %v", name, err)
		}
		r := result{
			Fixture:    name,
			JSONBytes:  len(text),
			ThriftLen:  len(tbytes),
			J2TMBps:    float64(len(text)) / j2tTime.Seconds() / 1e6,
			T2JMBps:    float64(len(tbytes)) / t2jTime.Seconds() / 1e6,
			J2TNsPerOp: float64(j2tTime.Nanoseconds()),
			T2JNsPerOp: float64(t2jTime.Nanoseconds()),
		}
		line, _ := json.Marshal(r)
		fmt.Println(string(line))
	}
}

func split(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "dynamicgo: "+format+"\n", args...)
	os.Exit(1)
}
