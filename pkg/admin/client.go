// Package admin talks to the Admin API of a database-backed Kong through go-kong: it builds
// clients from the connection flags (TLS, token, headers, workspace), probes each node's
// topology, reads the entities kongdb owns (tag-filtered, paged, concurrently) into a
// kongstate.State, and fills the desired state with the defaults Kong's /schemas declare, so
// that an unchanged cluster compares equal. It never decides what to change.
package admin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kong/go-kong/kong"
)

// DefaultTimeout bounds one Admin API request, so a hung node is noticed and another one taken;
// the whole sync has no deadline of its own (KIC's single 30 s deadline is pain point 2).
const DefaultTimeout = 30 * time.Second

// TokenHeader is the header Kong's RBAC reads the admin token from.
const TokenHeader = "Kong-Admin-Token"

// Config is how to reach and authenticate to Kong's Admin API; the CLI fills it from flags.
type Config struct {
	// Token is sent as Kong-Admin-Token. It is never printed: Config has no String method that
	// shows it and errors never include headers.
	Token string
	// CACert is a PEM file of CAs to verify the Admin API's certificate with.
	CACert string
	// ClientCert and ClientKey are PEM files for mutual TLS.
	ClientCert, ClientKey string
	// InsecureSkipVerify turns TLS verification off (the CLI warns).
	InsecureSkipVerify bool
	// Headers are extra request headers, "Name: value" each.
	Headers []string
	// Workspace scopes every request (Enterprise); "" is the default workspace.
	Workspace string
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Transport wraps the HTTP transport, for tests that count or break requests; nil keeps it.
	Transport func(http.RoundTripper) http.RoundTripper
	// Warn, when set, hears each of Cluster.Warnings as soon as Connect knows it, before any
	// request is sent.
	Warn func(string)
}

// httpClient builds the HTTP client every node's go-kong client shares.
func (c Config) httpClient() (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the user asked, and the CLI warns
	if c.CACert != "" {
		pem, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("read --kong-admin-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--kong-admin-ca %s holds no PEM certificate", c.CACert)
		}
		tlsCfg.RootCAs = pool
	}
	switch {
	case c.ClientCert != "" && c.ClientKey != "":
		pair, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			// The key's content never reaches the message: LoadX509KeyPair names no bytes.
			return nil, fmt.Errorf("load --kong-admin-cert/--kong-admin-key: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{pair}
	case c.ClientCert != "" || c.ClientKey != "":
		return nil, errors.New("--kong-admin-cert and --kong-admin-key must be given together")
	}
	headers := http.Header{}
	for _, h := range c.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--kong-admin-header %q: want \"Name: value\"", name)
		}
		headers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if c.Token != "" {
		headers.Set(TokenHeader, c.Token)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var rt http.RoundTripper = &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		// A sync keeps --concurrency requests in flight on one node.
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	if c.Transport != nil {
		rt = c.Transport(rt)
	}
	// The timeout bounds each attempt inside the 429 retries, not the client's whole exchange.
	rt = &rateLimitTransport{next: rt, timeout: timeout, sleep: sleepCtx}
	return kong.HTTPClientWithHeaders(&http.Client{Transport: rt, CheckRedirect: sameOrigin}, headers), nil
}

// sameOrigin follows a redirect only to the scheme and host of the first request: go-kong adds
// the token and every --kong-admin-header to each request it sends, a redirected one included,
// so a redirect to another host (or from https to http) would hand them over.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return fmt.Errorf("the Admin API at %s redirected to %s://%s: not followed, so the token and headers go to no other host",
			first.Scheme+"://"+first.Host, req.URL.Scheme, req.URL.Host)
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// plainTextTokenWarnings says, for each URL, that the token would cross the network in clear:
// a plain-HTTP Admin API on a host that is not loopback.
func plainTextTokenWarnings(token string, urls []string) []string {
	if token == "" {
		return nil
	}
	var out []string
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || isLoopback(u.Hostname()) {
			continue
		}
		out = append(out, fmt.Sprintf("the Admin API token is sent over plain HTTP to %s, which is not this machine: anyone on the path can read it; use https", u.Scheme+"://"+u.Host))
	}
	return out
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newKongClient is a go-kong client for one Admin API URL.
func newKongClient(hc *http.Client, rawURL, workspace string) (*kong.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin url %q: want http(s)://host[:port]", rawURL)
	}
	c, err := kong.NewClient(kong.String(strings.TrimSuffix(rawURL, "/")), hc)
	if err != nil {
		return nil, fmt.Errorf("admin url %q: %w", rawURL, err)
	}
	if workspace != "" {
		c.SetWorkspace(workspace)
	}
	return c, nil
}
