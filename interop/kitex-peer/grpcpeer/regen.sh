#!/usr/bin/env bash
# Regenerates interoppb/ (committed; never edited by hand) from
# testdata/grpc/interop.proto with protoc, protoc-gen-go at the
# google.golang.org/protobuf version go.mod pins and protoc-gen-go-grpc at
# PROTOC_GEN_GO_GRPC below. Needs protoc (Debian's protobuf-compiler, which also
# ships the well-known types under /usr/include).
set -euo pipefail

PROTOC_GEN_GO_GRPC=v1.5.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE_DIR=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$MODULE_DIR/../.." && pwd)
PKG=anycall/interop/kitex-peer/grpcpeer/interoppb

command -v protoc >/dev/null || { echo "regen.sh: no protoc: apt-get install protobuf-compiler" >&2; exit 1; }
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
# protoc-gen-go from the module graph, protoc-gen-go-grpc through a scratch module
# (its own module, not a dependency of the peer).
go -C "$MODULE_DIR" build -o "$BIN/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
(
    mkdir "$BIN/scratch" && cd "$BIN/scratch"
    go mod init grpcgen >/dev/null 2>&1
    go get "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC" >/dev/null 2>&1
    go build -o "$BIN/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
)

rm -rf "$HERE/interoppb"
mkdir -p "$HERE/interoppb"
PATH="$BIN:$PATH" protoc -I "$ROOT/testdata/grpc" \
    --go_out="$HERE/interoppb" --go_opt=paths=source_relative --go_opt="Minterop.proto=$PKG" \
    --go-grpc_out="$HERE/interoppb" --go-grpc_opt=paths=source_relative --go-grpc_opt="Minterop.proto=$PKG" \
    "$ROOT/testdata/grpc/interop.proto"
gofmt -l "$HERE/interoppb"
