package poster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// DefaultImageHosts are the hosts product images are fetched from unless
// Options.ImageHosts says otherwise: the platforms' image CDNs (a host
// matches itself and its subdomains).
var DefaultImageHosts = []string{
	"alicdn.com", "taobaocdn.com", "tbcdn.cn", // Taobao, Tmall
	"360buyimg.com", "jd.com", // JD
	"pddpic.com", "yangkeduo.com", "pinduoduo.com", // PDD
}

// ErrImageHost is returned for an image on a host the renderer may not
// fetch from.
var ErrImageHost = errors.New("image host not allowed (图片域名不在允许列表中，见 --image-hosts)")

// hostAllowed reports whether host (no port) is one of hosts or a subdomain
// of one; "*" allows every host.
func hostAllowed(host string, hosts []string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range hosts {
		h = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "*" || host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// publicAddr reports whether a is an address on the public internet: not
// loopback, private (RFC 1918, unique local), carrier-grade NAT, link-local
// (cloud metadata services live there), multicast or unspecified, and not
// an IPv6 address that embeds an IPv4 one to be reached through a
// translator or tunnel (NAT64, 6to4), which could be an inside address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var notPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, well-known prefix (RFC 6052)
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64, local use (RFC 8215)
	netip.MustParsePrefix("2002::/16"),      // 6to4 (RFC 3056)
}

// guardedClient is the renderer's own HTTP client: it connects only to
// public addresses, checked on the address actually dialled (so a name that
// resolves, or later re-resolves, to an inside address is refused too), and
// follows redirects only to allowed hosts.
func guardedClient(hosts []string, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return fmt.Errorf("poster: refusing to fetch an image from %s: not a public address (不是公网地址)", address)
			}
			return nil
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // a proxy would dial the inside address for us
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("poster: too many redirects")
			}
			if !hostAllowed(req.URL.Hostname(), hosts) {
				return fmt.Errorf("%w: redirect to %s", ErrImageHost, req.URL.Hostname())
			}
			return nil
		},
	}
}
