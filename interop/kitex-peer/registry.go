// Service discovery through etcd with kitex-contrib/registry-etcd: `server
// --register etcd://HOST:PORT[,HOST:PORT]/NAME` registers the server's listener
// under NAME, and an --addr of that form makes a client resolve NAME through
// kitex-contrib's resolver instead of calling a fixed host.

package main

import (
	"fmt"
	"strings"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	etcd "github.com/kitex-contrib/registry-etcd"
)

const etcdScheme = "etcd://"

// etcdTarget splits etcd://HOST:PORT[,HOST:PORT]/NAME into endpoints and name.
func etcdTarget(target string) (endpoints []string, name string, err error) {
	rest, ok := strings.CutPrefix(target, etcdScheme)
	if !ok {
		return nil, "", fmt.Errorf("%q is not etcd://HOST:PORT/NAME", target)
	}
	hosts, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" || hosts == "" {
		return nil, "", fmt.Errorf("%q is not etcd://HOST:PORT/NAME", target)
	}
	return strings.Split(hosts, ","), name, nil
}

// isEtcd tells whether an --addr is an etcd target.
func isEtcd(addr string) bool { return strings.HasPrefix(addr, etcdScheme) }

// destService is the service name a client is made for: the etcd name for an etcd
// target (the resolver looks that name up), else fallback.
func destService(addr, fallback string) string {
	if _, name, err := etcdTarget(addr); err == nil {
		return name
	}
	return fallback
}

// addrOption is the client option that says where calls go: a fixed host, or the
// instances kitex-contrib's etcd resolver finds.
func addrOption(addr string) (client.Option, error) {
	if !isEtcd(addr) {
		return client.WithHostPorts(addr), nil
	}
	endpoints, _, err := etcdTarget(addr)
	if err != nil {
		return client.Option{}, err
	}
	r, err := etcd.NewEtcdResolver(endpoints)
	if err != nil {
		return client.Option{}, fmt.Errorf("etcd resolver: %w", err)
	}
	return client.WithResolver(r), nil
}

// registryOptions registers the server under the etcd target's name (weight 0:
// Kitex's default, 10).
func registryOptions(target string, weight int) ([]server.Option, error) {
	if target == "" {
		return nil, nil
	}
	endpoints, name, err := etcdTarget(target)
	if err != nil {
		return nil, err
	}
	r, err := etcd.NewEtcdRegistry(endpoints)
	if err != nil {
		return nil, fmt.Errorf("etcd registry: %w", err)
	}
	return []server.Option{
		server.WithRegistry(r),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: name}),
		server.WithRegistryInfo(&registry.Info{ServiceName: name, Weight: weight}),
	}, nil
}
