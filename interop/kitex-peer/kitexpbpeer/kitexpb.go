// Package kitexpbpeer is the Kitex Protobuf (non-gRPC) peer of anycall's interop
// tests: Kitex's generated server and client for testdata/kitexpb/kitex_interop.proto
// (kitex_gen/kitexpb, made by regen.sh with `kitex -type protobuf`).
package kitexpbpeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"

	"anycall/interop/kitex-peer/kitex_gen/kitexpb"
	"anycall/interop/kitex-peer/kitex_gen/kitexpb/kitexinterop"
)

// FailPrefix starts the error of every Fail call; the item's name follows.
const FailPrefix = "requested failure: "

// Item is the value of testdata/kitexpb/item.json, built by hand.
func Item() *kitexpb.Item {
	zero := int32(0)
	return &kitexpb.Item{
		Scalars: &kitexpb.Scalars{
			FDouble: 1.5, FFloat: -2.25, FInt32: math.MinInt32, FInt64: math.MinInt64,
			FUint32: math.MaxUint32, FUint64: math.MaxUint64, FSint32: -7, FSint64: -9007199254740993,
			FFixed32: 123456789, FFixed64: 9007199254740993, FSfixed32: -42, FSfixed64: -42,
			FBool: true, FString: "héllo \"wörld\" ✓", FBytes: []byte{0, 1, 0xff}, FOptional: &zero,
		},
		Color:  kitexpb.Color_COLOR_GREEN,
		Choice: &kitexpb.Item_Inner{Inner: &kitexpb.Inner{Id: 7, Label: "seven"}},
		Counts: map[string]int64{"a": 1, "b": -2},
		ById:   map[int32]*kitexpb.Inner{-3: {Id: -3}, 1: {Id: 1, Label: "one"}},
		Tags:   []string{"x", "", "z"},
		Inners: []*kitexpb.Inner{{Id: 1}, {Label: "two"}},
		Packed: []int32{1, -1, math.MaxInt32},
		Nested: &kitexpb.Item_Nested{
			Colors: []kitexpb.Color{kitexpb.Color_COLOR_RED, kitexpb.Color_COLOR_UNSPECIFIED, kitexpb.Color_COLOR_GREEN},
			Inner:  &kitexpb.Inner{Id: 9},
		},
	}
}

type handler struct{}

// Echo answers the item itself.
func (*handler) Echo(_ context.Context, req *kitexpb.Item) (*kitexpb.Item, error) {
	return req, nil
}

// Fail answers an error: FailPrefix + the item's name.
func (*handler) Fail(_ context.Context, req *kitexpb.Item) (*kitexpb.Item, error) {
	return nil, errors.New(FailPrefix + req.GetName())
}

// RunServer serves KitexInterop over Kitex Protobuf (Framed and TTHeaderFramed)
// and gRPC (HTTP/2), detected per connection, on addr, prints `listening HOST:PORT` and stops when
// stdin reaches end of file.
func RunServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bind %s: %w", addr, err)
	}
	svr := kitexinterop.NewServer(&handler{},
		server.WithListener(ln),
		server.WithMetaHandler(transmeta.ServerTTHeaderHandler),
		server.WithExitWaitTime(time.Second))
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	return svr.Run()
}

type line struct {
	Case   string `json:"case"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// RunClient calls addr with Kitex's generated client and prints one JSON line
// per case; it returns false when any case failed. grpc selects Kitex's gRPC
// transport (HTTP/2, transport.GRPC); otherwise the client speaks Kitex Protobuf
// over TTHeaderFramed, the one transport Kitex's client uses for Kitex Protobuf.
func RunClient(addr string, grpc bool) (bool, error) {
	opts := []client.Option{
		client.WithHostPorts(addr),
		client.WithRPCTimeout(10 * time.Second),
	}
	if grpc {
		opts = append(opts,
			client.WithTransportProtocol(transport.GRPC),
			client.WithMetaHandler(transmeta.ClientHTTP2Handler))
	} else {
		opts = append(opts,
			client.WithTransportProtocol(transport.TTHeaderFramed),
			client.WithMetaHandler(transmeta.ClientTTHeaderHandler))
	}
	cli, err := kitexinterop.NewClient("KitexInterop", opts...)
	if err != nil {
		return false, err
	}
	ctx := context.Background()
	all := true
	report := func(name string, ok bool, detail string) {
		all = all && ok
		if ok {
			detail = ""
		}
		out, _ := json.Marshal(line{Case: name, OK: ok, Detail: detail})
		fmt.Println(string(out))
	}
	item := Item()
	reply, err := cli.Echo(ctx, item)
	report("Echo", err == nil && reflect.DeepEqual(reply, item), fmt.Sprintf("%+v %v", reply, err))
	empty, err := cli.Echo(ctx, &kitexpb.Item{})
	report("Echo empty", err == nil && reflect.DeepEqual(empty, &kitexpb.Item{}), fmt.Sprintf("%+v %v", empty, err))
	_, err = cli.Fail(ctx, &kitexpb.Item{Choice: &kitexpb.Item_Name{Name: "boom"}})
	report("Fail", err != nil && strings.Contains(err.Error(), FailPrefix+"boom"), fmt.Sprint(err))
	return all, nil
}
