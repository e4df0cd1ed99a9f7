// `kitex-peer http-gateway`: Kitex's HTTP generic (HTTPThriftGeneric over
// testdata/interop/echo_http.thrift, dynamicgo) behind Go's net/http, the way
// Kitex's documentation wires it into a web server; the anchor of bench/gateway.
package main

import (
	"net"
	"net/http"

	"github.com/cloudwego/kitex/pkg/generic"
)

func runHTTPGateway(upstream, listenAddr, transport string, keepStdin bool) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c, err := newGenericCaller(root, upstream, "http", transport)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return err
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := generic.FromHTTPRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := c.cli.GenericCall(r.Context(), "", req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		hr, ok := resp.(*generic.HTTPResponse)
		if !ok {
			http.Error(w, "unexpected response type", http.StatusBadGateway)
			return
		}
		for k, v := range hr.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		status := int(hr.StatusCode)
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(hr.RawBody)
	})
	printLine("listening " + ln.Addr().String())
	if !keepStdin {
		exitOnStdinEOF()
	}
	return http.Serve(ln, handler)
}
