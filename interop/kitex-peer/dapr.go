package main

// The `dapr-binding` sub-command drives the original Dapr output binding,
// components-contrib bindings/kitex, through its Invoke, for anycall's
// differential test of `anycall dapr`. It reads one JSON request per line
// on stdin and writes one JSON line per request, flushed:
//
//	{"operation":"get","metadata":{...},"data_hex":"..."}  -> {"data_hex":"..."}
//	                                                         or {"error":"...","data_hex":"..."}

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/dapr/components-contrib/bindings"
	kitexbinding "github.com/dapr/components-contrib/bindings/kitex"
	"github.com/dapr/kit/logger"
)

type daprRequest struct {
	Operation string            `json:"operation"`
	Metadata  map[string]string `json:"metadata"`
	DataHex   string            `json:"data_hex"`
}

type daprReply struct {
	DataHex string `json:"data_hex"`
	Error   string `json:"error,omitempty"`
}

func runDaprBinding() error {
	binding := kitexbinding.NewKitexOutput(logger.NewLogger("dapr-binding"))
	if err := binding.Init(context.Background(), bindings.Metadata{}); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var req daprRequest
		var reply daprReply
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			reply.Error = "bad request line: " + err.Error()
		} else if data, err := hex.DecodeString(req.DataHex); err != nil {
			reply.Error = "bad data_hex: " + err.Error()
		} else {
			reply = invokeDapr(binding, req, data)
		}
		line, _ := json.Marshal(reply)
		out.Write(append(line, '\n'))
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

// invokeDapr calls Invoke as daprd would, bounded by 10 s, and turns a
// panic (Kitex panics on some host strings) into an error line.
func invokeDapr(binding bindings.OutputBinding, req daprRequest, data []byte) (reply daprReply) {
	defer func() {
		if p := recover(); p != nil {
			reply = daprReply{Error: fmt.Sprintf("panic: %v", p)}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := binding.Invoke(ctx, &bindings.InvokeRequest{
		Data:      data,
		Metadata:  req.Metadata,
		Operation: bindings.OperationKind(req.Operation),
	})
	if resp != nil {
		reply.DataHex = hex.EncodeToString(resp.Data)
	}
	if err != nil {
		reply.Error = err.Error()
	}
	return reply
}
