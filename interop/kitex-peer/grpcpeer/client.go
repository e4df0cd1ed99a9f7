package grpcpeer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	refl "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "anycall/interop/kitex-peer/grpcpeer/interoppb"
)

// report collects the names of passed and failed checks.
type report struct {
	Pass []string `json:"pass"`
	Fail []string `json:"fail"`
}

func (r *report) check(name string, ok bool, detail string) {
	if ok {
		r.Pass = append(r.Pass, name)
	} else {
		r.Fail = append(r.Fail, name+": "+detail)
	}
}

func text(m proto.Message) string {
	return protojson.Format(m)
}

// loadItem reads testdata/grpc/item.json (found from the working directory or the
// executable upwards, or at $INTEROP_GRPC_ITEM).
func loadItem() (*pb.Item, error) {
	path := os.Getenv("INTEROP_GRPC_ITEM")
	if path == "" {
		for _, start := range []string{".", filepath.Dir(os.Args[0])} {
			dir, _ := filepath.Abs(start)
			for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
				p := filepath.Join(dir, "testdata", "grpc", "item.json")
				if _, err := os.Stat(p); err == nil {
					path = p
					break
				}
			}
			if path != "" {
				break
			}
		}
	}
	if path == "" {
		return nil, fmt.Errorf("testdata/grpc/item.json not found (set INTEROP_GRPC_ITEM)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	item := &pb.Item{}
	if err := protojson.Unmarshal(data, item); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return item, nil
}

// RunClient runs the interop script against addr and prints one JSON line
// {"pass": [...], "fail": [...]}; it returns false when any check failed.
func RunClient(addr string) (bool, error) {
	item, err := loadItem()
	if err != nil {
		return false, err
	}
	last := proto.Clone(item).(*pb.Item)
	last.Tags = []string{"last"}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return false, err
	}
	defer conn.Close()
	r := &report{Pass: []string{}, Fail: []string{}}
	if err := calls(conn, item, last, r); err != nil {
		r.check("calls", false, err.Error())
	}
	if err := reflect(conn, r); err != nil {
		r.check("reflection", false, err.Error())
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
	return len(r.Fail) == 0, nil
}

func calls(conn *grpc.ClientConn, item, last *pb.Item, r *report) error {
	c := pb.NewInteropClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var header metadata.MD
	reply, err := c.Echo(metadata.AppendToOutgoingContext(ctx, "echo-meta", "m-1"), item, grpc.Header(&header))
	if err != nil {
		return fmt.Errorf("Echo: %w", err)
	}
	r.check("Echo", proto.Equal(reply, item), text(reply))
	r.check("Echo metadata", slices.Equal(header.Get("echo-meta"), []string{"m-1"}), fmt.Sprint(header))

	collect := func(items ...*pb.Item) (*pb.Item, error) {
		s, err := c.Collect(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if err := s.Send(it); err != nil {
				return nil, err
			}
		}
		return s.CloseAndRecv()
	}
	if reply, err = collect(item, item, last); err != nil {
		return fmt.Errorf("Collect: %w", err)
	}
	r.check("Collect", proto.Equal(reply, last), text(reply))
	if reply, err = collect(); err != nil {
		return fmt.Errorf("Collect empty: %w", err)
	}
	r.check("Collect empty", proto.Equal(reply, &pb.Item{}), text(reply))

	rs, err := c.Repeat(ctx, item)
	if err != nil {
		return fmt.Errorf("Repeat: %w", err)
	}
	n, same := 0, true
	for {
		got, err := rs.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("Repeat: %w", err)
		}
		n++
		same = same && proto.Equal(got, item)
	}
	r.check("Repeat", n == 3 && same, fmt.Sprintf("%d replies, all equal: %v", n, same))

	// Bidi in lock-step: each reply is read before the next request is sent.
	chat, err := c.Chat(ctx)
	if err != nil {
		return fmt.Errorf("Chat: %w", err)
	}
	got := 0
	for i := 1; i <= 3; i++ {
		if err := chat.Send(item); err != nil {
			return fmt.Errorf("Chat send: %w", err)
		}
		reply, err := chat.Recv()
		if err != nil {
			return fmt.Errorf("Chat #%d: %w", i, err)
		}
		got++
		r.check(fmt.Sprintf("Chat #%d", i), proto.Equal(reply, item), text(reply))
	}
	if err := chat.CloseSend(); err != nil {
		return fmt.Errorf("Chat close: %w", err)
	}
	if _, err := chat.Recv(); err != io.EOF {
		got = -1
	}
	r.check("Chat count", got == 3, fmt.Sprint(got))

	empty, err := c.Ping(ctx, &emptypb.Empty{})
	if err != nil {
		return fmt.Errorf("Ping: %w", err)
	}
	r.check("Ping", proto.Equal(empty, &emptypb.Empty{}), text(empty))
	return nil
}

// reflect reads the server's reflection (v1) with grpc-go's generated stub: the
// service list, the service's methods and the Item message.
func reflect(conn *grpc.ClientConn, r *report) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := refl.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return err
	}
	ask := func(req *refl.ServerReflectionRequest) (*refl.ServerReflectionResponse, error) {
		if err := stream.Send(req); err != nil {
			return nil, err
		}
		resp, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		if e := resp.GetErrorResponse(); e != nil {
			return nil, fmt.Errorf("reflection error %d: %s", e.ErrorCode, e.ErrorMessage)
		}
		return resp, nil
	}
	resp, err := ask(&refl.ServerReflectionRequest{MessageRequest: &refl.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	r.check("reflection list", slices.Contains(names, Service), fmt.Sprint(names))

	files := map[string]*descriptorpb.FileDescriptorProto{}
	for _, symbol := range []string{Service, "anycall.interop.v1.Item"} {
		resp, err := ask(&refl.ServerReflectionRequest{MessageRequest: &refl.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: symbol}})
		if err != nil {
			return fmt.Errorf("%s: %w", symbol, err)
		}
		for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fd := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(raw, fd); err != nil {
				return fmt.Errorf("%s: %w", symbol, err)
			}
			files[fd.GetName()] = fd
		}
	}
	var methods []string
	var byID int32 = -1
	for _, fd := range files {
		if fd.GetPackage() != "anycall.interop.v1" {
			continue
		}
		for _, s := range fd.GetService() {
			if s.GetName() == "Interop" {
				for _, m := range s.GetMethod() {
					methods = append(methods, m.GetName())
				}
			}
		}
		for _, m := range fd.GetMessageType() {
			if m.GetName() == "Item" {
				for _, f := range m.GetField() {
					if f.GetName() == "by_id" {
						byID = f.GetNumber()
					}
				}
			}
		}
	}
	r.check("reflection service", slices.Equal(methods, []string{"Echo", "Collect", "Repeat", "Chat", "Ping"}), fmt.Sprint(methods))
	r.check("reflection message", byID == 7, fmt.Sprint(byID))
	return nil
}
