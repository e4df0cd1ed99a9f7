#!/usr/bin/env bash
# Regenerates kitex_gen/ (committed; never edited by hand) from
# testdata/interop/echo.thrift, multi.thrift, streaming.thrift and
# testdata/kitexpb/kitex_interop.proto with Kitex's own
# `kitex` tool at the Kitex version go.mod pins, installing that tool first when
# $(go env GOPATH)/bin/kitex is missing or another version. See interop/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IDL=$ROOT/testdata/interop
cd "$HERE"

command -v go >/dev/null || { echo "regen.sh: no go on PATH: install Go first" >&2; exit 1; }
VERSION=$(go list -m -f '{{.Version}}' github.com/cloudwego/kitex)
KITEX=$(go env GOPATH)/bin/kitex

if [ "$("$KITEX" --version 2>&1 || true)" != "$VERSION" ]; then
    if ! go install "github.com/cloudwego/kitex/tool/cmd/kitex@$VERSION"; then
        # `go install pkg@version` also asks the module proxy for the module's
        # version list (to look for a deprecation notice); a proxy that refuses
        # that list fails the install. Resolving the same version through a
        # scratch module builds the same tool.
        echo "regen.sh: installing kitex $VERSION through a scratch module" >&2
        SCRATCH=$(mktemp -d)
        trap 'rm -rf "$SCRATCH"' EXIT
        (
            cd "$SCRATCH"
            go mod init kitextool >/dev/null 2>&1
            go get "github.com/cloudwego/kitex/tool/cmd/kitex@$VERSION"
            go install github.com/cloudwego/kitex/tool/cmd/kitex
        )
    fi
fi
[ "$("$KITEX" --version 2>&1)" = "$VERSION" ] || { echo "regen.sh: $KITEX is not $VERSION" >&2; exit 1; }

rm -rf kitex_gen
for idl in echo.thrift multi.thrift; do
    "$KITEX" -module anycall/interop/kitex-peer -I "$IDL" "$IDL/$idl"
done
# Streaming methods with the StreamX interface (-streamx): the generated
# client and server speak TTHeader Streaming, and gRPC when asked.
"$KITEX" -streamx -module anycall/interop/kitex-peer -I "$IDL" "$IDL/streaming.thrift"
# Kitex Protobuf (non-gRPC): testdata/kitexpb/kitex_interop.proto.
"$KITEX" -module anycall/interop/kitex-peer -type protobuf -I "$ROOT/testdata/kitexpb" \
    "$ROOT/testdata/kitexpb/kitex_interop.proto"
gofmt -l kitex_gen
