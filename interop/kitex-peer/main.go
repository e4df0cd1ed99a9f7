// Command kitex-peer is the Kitex (Go) echo peer of anycall's interop tests: Kitex
// generated code and Kitex's generic clients and servers for
// testdata/interop/echo.thrift (and multi.thrift). Command lines and output are
// described in interop/README.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cloudwego/kitex/pkg/klog"

	"anycall/interop/kitex-peer/grpcpeer"
	"anycall/interop/kitex-peer/kitexpbpeer"
)

const usage = `usage:
  kitex-peer server [--addr HOST:PORT] [--keep-stdin] [--register etcd://H:P/NAME [--weight W]]
      Serves EchoService and MirrorService (testdata/interop/multi.thrift) with Kitex
      generated code on one port; TTHeader, TTHeaderFramed, Framed and Buffered are
      detected per message. Requests are routed by the TTHeader key isn; without it
      they reach EchoService. Prints ` + "`listening HOST:PORT`" + ` once bound; exits when
      stdin reaches end of file (unless --keep-stdin) or on SIGINT/SIGTERM.
      Default address 127.0.0.1:0. --register registers the listener in etcd under
      NAME with kitex-contrib/registry-etcd (lease TTL from
      KITEX_ETCD_REGISTRY_LEASE_TTL, default 60 s; deregistered on SIGTERM).
  kitex-peer client --addr HOST:PORT [--transport T] [--service EchoService|MirrorService]
                    [--metainfo] [--biz] [--case NAME]
      Runs the interop script with the generated client and prints one JSON line per
      call (an --addr etcd://H:P/NAME resolves NAME with kitex-contrib's etcd resolver); exits 0 only when every call gave the expected outcome. --metainfo adds a
      Ping carrying metainfo and reports the backward values, --biz an Echo answered
      with a business status error. --service MirrorService runs the mirror script
      (Check, Add of MirrorService) instead. --case NAME runs that one case only.
      Defaults: ttheader, EchoService.
  kitex-peer generic-client --addr HOST:PORT --mode binary|map|json|http [--transport T]
      Runs the script with one of Kitex's generic clients; cases the mode cannot
      express are printed with "skipped" and a reason.
  kitex-peer generic-server [--addr HOST:PORT] [--keep-stdin] --mode binary|map|json
      Serves EchoService with one of Kitex's generic servers (genericserver.NewServer).
  kitex-peer http-gateway --addr UPSTREAM [--listen HOST:PORT] [--transport T] [--keep-stdin]
      Kitex's HTTP generic (HTTPThriftGeneric, testdata/interop/echo_http.thrift) behind
      Go's net/http, calling UPSTREAM; prints ` + "`listening HOST:PORT`" + ` (default 127.0.0.1:0).
  kitex-peer bench --addr HOST:PORT --data REQUEST.json [--mode codegen|binary|map|json]
                   [--transport T] [--concurrency C] (--requests N | --duration D)
      Load client for bench/run: calls Echo with the EchoRequest in REQUEST.json from C
      goroutines (default 50) until N calls (default 200) or D (500ms, 3s, 1m) have
      passed, then prints one JSON line like ` + "`anycall bench --output json`" + `.
      Default mode codegen.
  kitex-peer codec --mode json [--idl PATH] [--service NAME]
      Line-oriented transcoder over stdin/stdout with Kitex's JSON generic conversion
      (dynamicgo), for the IDL (default testdata/interop/echo.thrift) and service
      (default the last one): {"op":"encode","method":M,"json":TEXT} -> {"hex":ARGS};
      {"op":"decode","method":M,"part":"args"|"result","hex":H} -> {"json":TEXT};
      {"error":TEXT} when a line fails.
  kitex-peer dapr-binding
      Drives the original Dapr output binding (components-contrib bindings/kitex,
      v1.16.1) through Invoke: one JSON request per stdin line
      {"operation","metadata","data_hex"}, one JSON line back {"data_hex","error"}.
  kitex-peer grpc-server [--addr HOST:PORT]
      grpc-go serving testdata/grpc/interop.proto (generated code, grpcpeer/) with
      reflection v1 and v1alpha; prints ` + "`listening HOST:PORT`" + `, exits when stdin closes.
  kitex-peer grpc-client --addr HOST:PORT
      Runs the gRPC interop script with grpc-go generated code and its reflection client;
      prints one JSON line {"pass": [...], "fail": [...]}, exits 1 on any failure.
  kitex-peer kitexpb-server [--addr HOST:PORT]
      Kitex generated code serving testdata/kitexpb/kitex_interop.proto over Kitex
      Protobuf (Framed, TTHeaderFramed) and gRPC on one port; prints
      ` + "`listening HOST:PORT`" + `, exits when stdin closes.
  kitex-peer kitexpb-client --addr HOST:PORT [--transport ttheader-framed|grpc]
      Calls Echo and Fail with Kitex's generated client for that proto over Kitex
      Protobuf (TTHeaderFramed, the default) or Kitex's gRPC transport; one JSON
      line per case.
  T is one of ttheader, ttheader-framed, framed, buffered (Binary protocol throughout).
` + streamUsage

type args struct {
	cmd         string
	addr        string
	transport   string
	service     string
	mode        string
	keepStdin   bool
	metainfo    bool
	biz         bool
	data        string
	concurrency int
	requests    string
	duration    string
	idl         string
	only        string
	listen      string
	register    string
	weight      int
}

func parseArgs(argv []string) (*args, error) {
	if len(argv) == 0 {
		return nil, errors.New("missing subcommand")
	}
	a := &args{cmd: argv[0], transport: "ttheader", concurrency: 50}
	rest := argv[1:]
	for i := 0; i < len(rest); i++ {
		key, inline, hasInline := strings.Cut(rest[i], "=")
		value := func() (string, error) {
			if hasInline {
				return inline, nil
			}
			if i+1 >= len(rest) {
				return "", fmt.Errorf("%s needs a value", key)
			}
			i++
			return rest[i], nil
		}
		var err error
		switch key {
		case "--addr":
			a.addr, err = value()
		case "--transport":
			a.transport, err = value()
		case "--service":
			a.service, err = value()
		case "--mode":
			a.mode, err = value()
		case "--protocol":
			var p string
			if p, err = value(); err == nil && p != "binary" {
				err = fmt.Errorf("unsupported protocol %q: the Kitex peer speaks binary only", p)
			}
		case "--keep-stdin":
			a.keepStdin = true
		case "--metainfo":
			a.metainfo = true
		case "--biz":
			a.biz = true
		case "--data":
			a.data, err = value()
		case "--concurrency":
			var c string
			if c, err = value(); err == nil {
				if a.concurrency, err = strconv.Atoi(c); err != nil || a.concurrency <= 0 {
					err = fmt.Errorf("--concurrency: expected a positive count, found %q", c)
				}
			}
		case "--requests":
			a.requests, err = value()
		case "--duration":
			a.duration, err = value()
		case "--idl":
			a.idl, err = value()
		case "--case":
			a.only, err = value()
		case "--listen":
			a.listen, err = value()
		case "--register":
			a.register, err = value()
		case "--weight":
			var w string
			if w, err = value(); err == nil {
				if a.weight, err = strconv.Atoi(w); err != nil || a.weight < 0 {
					err = fmt.Errorf("--weight: expected a count, found %q", w)
				}
			}
		case "-h", "--help":
			return nil, errHelp
		default:
			err = fmt.Errorf("unknown argument %q", rest[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

var errHelp = errors.New("")

// usageError is a command line the peer cannot run (exit 2 with the usage text).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(a *args) (bool, error) {
	need := func(ok bool, msg string) error {
		if !ok {
			return usageError{a.cmd + " needs " + msg}
		}
		return nil
	}
	switch a.cmd {
	case "server":
		return true, runCodegenServer(orDefault(a.addr), a.keepStdin, a.register, a.weight)
	case "client":
		if err := need(a.addr != "", "--addr"); err != nil {
			return false, err
		}
		service := a.service
		if service == "" {
			service = "EchoService"
		}
		return runClient(clientArgs{addr: a.addr, transport: a.transport, service: service, metainfo: a.metainfo, biz: a.biz, only: a.only})
	case "generic-client":
		if err := need(a.addr != "" && a.mode != "", "--addr and --mode"); err != nil {
			return false, err
		}
		return runGenericClient(a.addr, a.mode, a.transport)
	case "generic-server":
		if err := need(a.mode != "", "--mode"); err != nil {
			return false, err
		}
		return true, runGenericServer(orDefault(a.addr), a.mode, a.keepStdin)
	case "http-gateway":
		if err := need(a.addr != "", "--addr"); err != nil {
			return false, err
		}
		return true, runHTTPGateway(a.addr, orDefault(a.listen), a.transport, a.keepStdin)
	case "bench":
		if err := need(a.addr != "" && a.data != "", "--addr and --data"); err != nil {
			return false, err
		}
		stop, err := stopFromArgs(a.requests, a.duration)
		if err != nil {
			return false, usageError{err.Error()}
		}
		mode := a.mode
		if mode == "" {
			mode = "codegen"
		}
		return runBench(benchArgs{addr: a.addr, transport: a.transport, mode: mode, data: a.data, concurrency: a.concurrency, stop: stop})
	case "dapr-binding":
		return true, runDaprBinding()
	case "grpc-server":
		return true, grpcpeer.RunServer(orDefault(a.addr))
	case "grpc-client":
		if err := need(a.addr != "", "--addr"); err != nil {
			return false, err
		}
		return grpcpeer.RunClient(a.addr)
	case "kitexpb-server":
		return true, kitexpbpeer.RunServer(orDefault(a.addr))
	case "kitexpb-client":
		if err := need(a.addr != "", "--addr"); err != nil {
			return false, err
		}
		var grpc bool
		switch a.transport {
		case "ttheader", "ttheader-framed":
		case "grpc":
			grpc = true
		default:
			return false, usageError{fmt.Sprintf("kitexpb-client: unsupported transport %q (ttheader-framed or grpc)", a.transport)}
		}
		return kitexpbpeer.RunClient(a.addr, grpc)
	case "codec":
		if err := need(a.mode == "json", "--mode json"); err != nil {
			return false, err
		}
		return true, runCodec(a.idl, a.service)
	}
	return false, usageError{fmt.Sprintf("unknown subcommand %q", a.cmd)}
}

func orDefault(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

func main() {
	// Kitex logs to stderr; keep it to warnings and worse.
	klog.SetLevel(klog.LevelWarn)
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "stream-") {
		os.Exit(runStreamCommand(os.Args[1], os.Args[2:]))
	}
	a, err := parseArgs(os.Args[1:])
	if err != nil {
		if err != errHelp {
			fmt.Fprintf(os.Stderr, "kitex-peer: %v\n", err)
		}
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ok, err := run(a)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "kitex-peer: %v\n%s\n", err, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "kitex-peer: %v\n", err)
		os.Exit(2)
	case !ok:
		os.Exit(1)
	}
}
