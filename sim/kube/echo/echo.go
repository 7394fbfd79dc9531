// Package echo is the simulator's stand-in for the Gateway API conformance
// suite's echo server (sigs.k8s.io/gateway-api/conformance/echo-basic, image
// registry.k8s.io/gateway-api/echo-basic): the node agent runs it for Pods of
// that image. It answers as echo-basic does, because the suite parses its
// answers: HTTP on HTTP_PORT (3000), HTTP/1.1 and prior-knowledge h2c on
// H2C_PORT (3001), HTTPS on HTTPS_PORT (8443) when TLS_SERVER_CERT and
// TLS_SERVER_PRIVKEY name a certificate and key; /health, /status/NNN, and
// for every other path an indented JSON echo of the request with the
// namespace, pod, service and ingress names from the environment and, on
// TLS, the negotiated parameters. X-Echo-Set-Header sets response headers and
// ?delay= delays the answer. Each request is logged as echo-basic logs it
// ("Echoing back request made to ... to client (...)"), which the suite's
// mirror tests read from pods/log.
//
// Not served yet: /retry (echo-basic v1.6.0-dev's flaky backend), /ws
// (WebSocket) and the gRPC and TCP modes (GRPC_ECHO_SERVER, TCP_ECHO_SERVER);
// the node agent refuses to run a Pod that asks for those modes rather than
// pretend.
package echo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BindEnv names the address the server binds to (the Pod's IP on the local
// runtime, where every Pod shares one network namespace); empty binds all.
const BindEnv = "KONGDB_POD_IP"

// Captured is the JSON body of an echo, field for field echo-basic's RequestAssertions.
type Captured struct {
	Path      string              `json:"path"`
	Host      string              `json:"host"`
	Method    string              `json:"method"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	Namespace string              `json:"namespace"`
	Ingress   string              `json:"ingress"`
	Service   string              `json:"service"`
	Pod       string              `json:"pod"`
	HTTPPort  string              `json:"httpPort"`
	TLS       *TLSInfo            `json:"tls,omitempty"`
}

// TLSInfo is the TLS part of an echo over HTTPS.
type TLSInfo struct {
	Version            string   `json:"version"`
	ServerName         string   `json:"serverName"`
	NegotiatedProtocol string   `json:"negotiatedProtocol,omitempty"`
	PeerCertificates   []string `json:"peerCertificates,omitempty"`
	CipherSuite        string   `json:"cipherSuite"`
}

// UnsupportedMode names an echo-basic mode this server does not implement,
// from the container's environment; empty when it can serve.
func UnsupportedMode(env map[string]string) string {
	for _, k := range []string{"GRPC_ECHO_SERVER", "TCP_ECHO_SERVER"} {
		if env[k] != "" {
			return k
		}
	}
	return ""
}

// Main runs the server until SIGTERM or SIGINT; it returns the exit code.
func Main(stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := Serve(ctx, stdout); err != nil {
		fmt.Fprintln(stderr, "echo:", err)
		return 1
	}
	return 0
}

// Serve listens on the ports the environment names and serves until ctx ends.
func Serve(ctx context.Context, log io.Writer) error {
	bind := os.Getenv(BindEnv)
	port := func(env, def string) string {
		if v := os.Getenv(env); v != "" {
			return v
		}
		return def
	}
	type server struct {
		srv  *http.Server
		port string
		tls  bool
	}
	var servers []server
	mk := func(p string, protocols *http.Protocols) *http.Server {
		return &http.Server{Addr: net.JoinHostPort(bind, p), Handler: handler(p, log), Protocols: protocols, ReadHeaderTimeout: 10 * time.Second}
	}
	httpPort := port("HTTP_PORT", "3000")
	servers = append(servers, server{srv: mk(httpPort, nil), port: httpPort})
	h2c := new(http.Protocols)
	h2c.SetHTTP1(true)
	h2c.SetUnencryptedHTTP2(true)
	h2cPort := port("H2C_PORT", "3001")
	servers = append(servers, server{srv: mk(h2cPort, h2c), port: h2cPort})
	if cert, key := os.Getenv("TLS_SERVER_CERT"), os.Getenv("TLS_SERVER_PRIVKEY"); cert != "" && key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return fmt.Errorf("load TLS_SERVER_CERT %s and TLS_SERVER_PRIVKEY %s: %w", cert, key, err)
		}
		httpsPort := port("HTTPS_PORT", "8443")
		s := mk(httpsPort, nil)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		if ca := os.Getenv("TLS_CLIENT_CACERTS"); ca != "" {
			pool := x509.NewCertPool()
			raw, err := os.ReadFile(ca)
			if err != nil || !pool.AppendCertsFromPEM(raw) {
				return fmt.Errorf("load TLS_CLIENT_CACERTS %s: %v", ca, err)
			}
			s.TLSConfig.ClientCAs, s.TLSConfig.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
		servers = append(servers, server{srv: s, port: httpsPort, tls: true})
	}
	errs := make(chan error, len(servers))
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.srv.Addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "Starting server, listening on %s (tls=%v)\n", s.srv.Addr, s.tls)
		go func() {
			if s.tls {
				errs <- s.srv.ServeTLS(ln, "", "")
			} else {
				errs <- s.srv.Serve(ln)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.srv.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// handler serves one port: /health, /status/NNN, and the echo.
func handler(port string, log io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/health":
			w.WriteHeader(http.StatusOK)
			return
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			if err != nil || code < 100 || code > 999 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(code)
			return
		}
		echo(w, r, port, log)
	})
}

func echo(w http.ResponseWriter, r *http.Request, port string, log io.Writer) {
	fmt.Fprintf(log, "Echoing back request made to %s to client (%s)\n", r.RequestURI, r.RemoteAddr)
	if d := r.URL.Query().Get("delay"); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil {
			http.Error(w, fmt.Sprintf("invalid delay %q: %v", d, err), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	c := Captured{Path: r.RequestURI, Host: r.Host, Method: r.Method, Proto: r.Proto, Headers: r.Header,
		Namespace: os.Getenv("NAMESPACE"), Ingress: os.Getenv("INGRESS_NAME"), Service: os.Getenv("SERVICE_NAME"),
		Pod: os.Getenv("POD_NAME"), HTTPPort: port, TLS: tlsInfo(r.TLS)}
	body, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, hv := range strings.Split(r.Header.Get("X-Echo-Set-Header"), ",") {
		if name, value, ok := strings.Cut(hv, ":"); ok && strings.TrimSpace(name) != "" {
			w.Header().Set(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

func tlsInfo(cs *tls.ConnectionState) *TLSInfo {
	if cs == nil {
		return nil
	}
	t := &TLSInfo{Version: tlsVersion(cs.Version), ServerName: cs.ServerName, NegotiatedProtocol: cs.NegotiatedProtocol,
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite)}
	for _, c := range cs.PeerCertificates {
		t.PeerCertificates = append(t.PeerCertificates, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	}
	return t
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}
