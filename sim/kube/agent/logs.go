package agent

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// KubeletPort is where the agent serves what the API server asks a kubelet
// for: the containers' logs (pods/log, `kubectl logs`), which the
// conformance suite's mirror tests read.
const KubeletPort = 10250

// logWriter writes a container's output in the CRI log format the kubelet
// keeps ("<RFC3339Nano> <stream> F <line>"), so a log read can start at a
// time (sinceTime) and show each line's time (timestamps).
func logWriter(w io.Writer, stream string) io.WriteCloser {
	pr, pw := io.Pipe()
	l := &lineLog{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			fmt.Fprintf(w, "%s %s F %s\n", time.Now().UTC().Format(time.RFC3339Nano), stream, sc.Text())
		}
		_ = pr.CloseWithError(sc.Err())
	}()
	return l
}

// lineLog is a logWriter; Close returns once every line is written.
type lineLog struct {
	pw   *io.PipeWriter
	done chan struct{}
}

func (l *lineLog) Write(p []byte) (int, error) { return l.pw.Write(p) }

func (l *lineLog) Close() error {
	err := l.pw.Close()
	<-l.done
	return err
}

// serveKubelet serves /containerLogs/NAMESPACE/POD/CONTAINER over TLS on the
// Node's address to clients with a certificate of the cluster's CA (the API
// server's kubelet client certificate), until ctx ends.
func (a *Agent) serveKubelet(ctx context.Context, caPEM []byte) error {
	pair, err := pki.SelfSigned(pki.Options{CommonName: a.o.NodeName, ServerAuth: true, IPAddresses: []net.IP{net.ParseIP(a.o.NodeIP)}})
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return errors.New("node agent: the kubeconfig has no CA certificate to verify the API server's client certificate with")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(a.o.NodeIP, strconv.Itoa(KubeletPort)))
	if err != nil {
		return fmt.Errorf("node agent: kubelet port: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", a.containerLogs)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return nil
}

// containerLogs answers as the kubelet does: the lines since sinceTime (or
// the last tailLines), with their times when timestamps=true, following new
// lines while the client stays when follow=true.
func (a *Agent) containerLogs(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ns") + "/" + r.PathValue("pod")
	a.mu.Lock()
	var path string
	for _, st := range a.states {
		if st.name == name {
			path = st.containers[r.PathValue("container")].Log
		}
	}
	a.mu.Unlock()
	if path == "" {
		http.Error(w, fmt.Sprintf("container %q in pod %s is not running on this node", r.PathValue("container"), name), http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("sinceTime"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, "sinceTime: "+err.Error(), http.StatusBadRequest)
			return
		}
		since = t
	}
	if s := q.Get("sinceSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			http.Error(w, "sinceSeconds: "+err.Error(), http.StatusBadRequest)
			return
		}
		since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	tail := -1
	if s := q.Get("tailLines"); s != "" {
		tail, _ = strconv.Atoi(s)
	}
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	stamps := q.Get("timestamps") == "true"
	rd := bufio.NewReader(f)
	var lines []string
	emit := func(line string) {
		ts, rest, ok := strings.Cut(line, " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil {
			return
		}
		if !since.IsZero() && t.Before(since) {
			return
		}
		_, rest, _ = strings.Cut(rest, " ") // stream
		_, rest, _ = strings.Cut(rest, " ") // F
		if stamps {
			rest = ts + " " + rest
		}
		lines = append(lines, rest)
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			break
		}
		emit(strings.TrimSuffix(line, "\n"))
	}
	if tail >= 0 && len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if q.Get("follow") != "true" {
		return
	}
	flusher, _ := w.(http.Flusher)
	var partial string
	for {
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		for {
			chunk, err := rd.ReadString('\n')
			partial += chunk
			if err != nil {
				break
			}
			lines = lines[:0]
			emit(strings.TrimSuffix(partial, "\n"))
			partial = ""
			for _, l := range lines {
				fmt.Fprintln(w, l)
			}
		}
	}
}
