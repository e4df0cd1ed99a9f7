// `kitex-peer bench`: a Kitex client as load generator for bench/run. The load
// loop measures as bench/load.rs does and prints the same JSON fields: C
// goroutines, each timing one call after another until a shared count or a
// deadline; latencies of successful calls only, kept exactly in microseconds and
// sorted at the end; QPS over every finished call.

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/gopkg/protocol/thrift"
	"github.com/cloudwego/kitex/client/genericclient"
	"github.com/cloudwego/kitex/pkg/generic"

	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
	"anycall/interop/kitex-peer/kitex_gen/interop/echo/echoservice"
)

// stop says when the workers stop: after requests calls in all, or after duration.
type stop struct {
	requests uint64
	duration time.Duration
}

// stopFromArgs reads --requests N or --duration D (500ms, 3s, 1m, or seconds);
// 200 requests when neither is given.
func stopFromArgs(requests, duration string) (stop, error) {
	switch {
	case requests != "" && duration != "":
		return stop{}, errors.New("give --requests or --duration, not both")
	case requests != "":
		n, err := strconv.ParseUint(requests, 10, 64)
		if err != nil || n == 0 {
			return stop{}, fmt.Errorf("--requests: expected a positive count, found %q", requests)
		}
		return stop{requests: n}, nil
	case duration != "":
		d, err := parseDuration(duration)
		return stop{duration: d}, err
	}
	return stop{requests: 200}, nil
}

func parseDuration(s string) (time.Duration, error) {
	at := strings.IndexFunc(s, func(c rune) bool { return (c < '0' || c > '9') && c != '.' })
	if at < 0 {
		at = len(s)
	}
	n, err := strconv.ParseFloat(s[:at], 64)
	if err != nil {
		return 0, fmt.Errorf("expected a duration like 500ms, 3s or 1m, found %q", s)
	}
	var secs float64
	switch s[at:] {
	case "ms":
		secs = n / 1000
	case "", "s":
		secs = n
	case "m":
		secs = n * 60
	default:
		return 0, fmt.Errorf("unknown unit in %q (use ms, s or m)", s)
	}
	d := time.Duration(secs * float64(time.Second))
	if !(secs > 0) || math.IsInf(secs, 0) || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}

type benchArgs struct {
	addr        string
	transport   string
	mode        string
	data        string
	concurrency int
	stop        stop
}

// makeCall returns the function one worker calls per request; the request is
// built (binary: encoded) once, before any call.
func makeCall(a benchArgs) (func(worker int) func(context.Context) error, error) {
	text, err := os.ReadFile(a.data)
	if err != nil {
		return nil, err
	}
	reqJSON, err := parseJSON(text)
	if err != nil {
		return nil, fmt.Errorf("parse the request JSON: %w", err)
	}
	opts, err := clientOptions(a.addr, a.transport)
	if err != nil {
		return nil, err
	}
	switch a.mode {
	case "codegen":
		req, err := requestFromJSON(reqJSON)
		if err != nil {
			return nil, err
		}
		cli, err := echoservice.NewClient("EchoService", opts...)
		if err != nil {
			return nil, err
		}
		return func(int) func(context.Context) error {
			return func(ctx context.Context) error {
				r, err := cli.Echo(ctx, req)
				if err == nil && r == nil {
					err = errors.New("a reply without a result")
				}
				return err
			}
		}, nil
	case "binary":
		req, err := requestFromJSON(reqJSON)
		if err != nil {
			return nil, err
		}
		msg, err := thrift.MarshalFastMsg("Echo", thrift.CALL, 0, &echo.EchoServiceEchoArgs{Req: req})
		if err != nil {
			return nil, err
		}
		cli, err := genericclient.NewClient("EchoService", generic.BinaryThriftGeneric(), opts...)
		if err != nil {
			return nil, err
		}
		return func(int) func(context.Context) error {
			// Kitex writes its seq id into the request buffer: one copy per worker.
			own := append([]byte(nil), msg...)
			return func(ctx context.Context) error {
				resp, err := cli.GenericCall(ctx, "Echo", own)
				if err != nil {
					return err
				}
				reply, _ := resp.([]byte)
				var res echo.EchoServiceEchoResult
				if _, _, err := thrift.UnmarshalFastMsg(reply, &res); err != nil {
					return err
				}
				if res.Success == nil {
					return errors.New("a reply without a result")
				}
				return nil
			}
		}, nil
	case "map", "json":
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		c, err := newGenericCaller(root, a.addr, a.mode, a.transport)
		if err != nil {
			return nil, err
		}
		var req any
		if a.mode == "json" {
			req = encodeJSON(reqJSON)
		} else {
			t, _, err := argType(c.svc, "Echo")
			if err != nil {
				return nil, err
			}
			if req, err = toMapGeneric(reqJSON, t, "req"); err != nil {
				return nil, err
			}
		}
		return func(int) func(context.Context) error {
			return func(ctx context.Context) error {
				resp, err := c.cli.GenericCall(ctx, "Echo", req)
				if err == nil && resp == nil {
					err = errors.New("a reply without a result")
				}
				return err
			}
		}, nil
	}
	return nil, usageError{fmt.Sprintf("unknown bench mode %q (codegen|binary|map|json)", a.mode)}
}

type tally struct {
	latencies  []uint32
	errors     uint64
	firstError string
}

func runBench(a benchArgs) (bool, error) {
	mk, err := makeCall(a)
	if err != nil {
		return false, err
	}
	// One call first: fail fast, and warm the connection pool.
	if err := mk(-1)(context.Background()); err != nil {
		return false, fmt.Errorf("the first call failed: %w", err)
	}
	calls := make([]func(context.Context) error, a.concurrency)
	for i := range calls {
		calls[i] = mk(i)
	}
	start := time.Now()
	deadline := start.Add(a.stop.duration)
	var tickets atomic.Uint64
	tallies := make([]tally, a.concurrency)
	var wg sync.WaitGroup
	for i := range a.concurrency {
		wg.Add(1)
		go func(call func(context.Context) error, t *tally) {
			defer wg.Done()
			for {
				if a.stop.requests > 0 {
					if tickets.Add(1) > a.stop.requests {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				begin := time.Now()
				err := call(context.Background())
				micros := uint32(min(time.Since(begin).Microseconds(), math.MaxUint32))
				if err != nil {
					t.errors++
					if t.firstError == "" {
						t.firstError = err.Error()
					}
					continue
				}
				t.latencies = append(t.latencies, max(micros, 1))
			}
		}(calls[i], &tallies[i])
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	var latencies []uint32
	var errs uint64
	firstError := ""
	for _, t := range tallies {
		latencies = append(latencies, t.latencies...)
		errs += t.errors
		if firstError == "" {
			firstError = t.firstError
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	ok := uint64(len(latencies))
	requests := ok + errs
	at := func(q float64) uint64 {
		if len(latencies) == 0 {
			return 0
		}
		rank := min(max(int(math.Ceil(q*float64(len(latencies)))), 1), len(latencies))
		return uint64(latencies[rank-1])
	}
	mean := 0.0
	if len(latencies) > 0 {
		sum := 0.0
		for _, l := range latencies {
			sum += float64(l)
		}
		mean = sum / float64(len(latencies))
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	var b strings.Builder
	fmt.Fprintf(&b, `{"target":"kitex/%s/EchoService/Echo","concurrency":%d,"requests":%d,"ok":%d,`+
		`"errors":%d,"elapsed_s":%s,"qps":%s,"mean_us":%s,`+
		`"min_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d`,
		a.mode, a.concurrency, requests, ok, errs, f(elapsed), f(float64(requests)/elapsed), f(mean),
		at(0), at(0.50), at(0.90), at(0.99), at(0.999), at(1))
	if firstError != "" {
		b.WriteString(`,"first_error":"`)
		for _, c := range firstError {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0):
				b.WriteByte(' ')
			default:
				b.WriteRune(c)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	printLine(b.String())
	return ok > 0, nil
}
