// Package grpcpeer is the grpc-go peer of anycall's gRPC interop tests: a server and
// a client of testdata/grpc/interop.proto built from protoc-gen-go and
// protoc-gen-go-grpc code (interoppb/, made by regen.sh). It speaks the same
// contract as interop/python/grpc_peer.py.
package grpcpeer

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "anycall/interop/kitex-peer/grpcpeer/interoppb"
)

// Service is the full name of the interop service.
const Service = "anycall.interop.v1.Interop"

// interop implements the service: Echo echoes, Collect replies with the last item
// (an empty one when none), Repeat sends the item three times, Chat echoes each
// item as it arrives, Ping answers Empty. Request metadata "echo-meta" comes back
// as a header.
type interop struct {
	pb.UnimplementedInteropServer
}

func echoMeta(ctx context.Context) metadata.MD {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("echo-meta"); len(v) > 0 {
		return metadata.Pairs("echo-meta", v[0])
	}
	return nil
}

func (interop) Echo(ctx context.Context, item *pb.Item) (*pb.Item, error) {
	if md := echoMeta(ctx); md != nil {
		if err := grpc.SetHeader(ctx, md); err != nil {
			return nil, err
		}
	}
	return item, nil
}

func (interop) Collect(stream grpc.ClientStreamingServer[pb.Item, pb.Item]) error {
	if md := echoMeta(stream.Context()); md != nil {
		if err := stream.SetHeader(md); err != nil {
			return err
		}
	}
	last := &pb.Item{}
	for {
		item, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(last)
		}
		if err != nil {
			return err
		}
		last = item
	}
}

func (interop) Repeat(item *pb.Item, stream grpc.ServerStreamingServer[pb.Item]) error {
	if md := echoMeta(stream.Context()); md != nil {
		if err := stream.SetHeader(md); err != nil {
			return err
		}
	}
	for range 3 {
		if err := stream.Send(item); err != nil {
			return err
		}
	}
	return nil
}

func (interop) Chat(stream grpc.BidiStreamingServer[pb.Item, pb.Item]) error {
	if md := echoMeta(stream.Context()); md != nil {
		if err := stream.SetHeader(md); err != nil {
			return err
		}
	}
	for {
		item, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(item); err != nil {
			return err
		}
	}
}

func (interop) Ping(_ context.Context, e *emptypb.Empty) (*emptypb.Empty, error) {
	return e, nil
}

// RunServer serves the interop service with reflection (v1 and v1alpha) on addr,
// prints `listening HOST:PORT` and stops when stdin reaches end of file.
func RunServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	pb.RegisterInteropServer(srv, interop{})
	reflection.Register(srv)
	fmt.Printf("listening %s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		srv.Stop()
	}()
	if err := <-done; err != nil && err != grpc.ErrServerStopped {
		return err
	}
	return nil
}
