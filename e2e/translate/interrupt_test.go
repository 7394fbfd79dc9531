package translate_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/cli"
)

// TestInterruptStopsAClusterRead puts a proxy in front of the real API server that lets
// discovery through but holds the list of Services, as a slow API server would, and sends the
// process SIGINT while translate waits on it: the read must stop there, and translate must
// return an error (exit 1) naming the cancellation instead of hanging or dying mid-write.
func TestInterruptStopsAClusterRead(t *testing.T) {
	env := testenv.Get(t)
	transport, err := rest.TransportFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	listing := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/services") {
			select {
			case listing <- struct{}{}:
			default:
			}
			<-r.Context().Done() // held until the client gives up
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: held, cluster: {server: `+srv.URL+`}}]
users: [{name: anyone, user: {}}]
contexts: [{name: held, context: {cluster: held, user: anyone, namespace: default}}]
current-context: held
`), 0o600); err != nil {
		t.Fatal(err)
	}

	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	done := make(chan int, 1)
	go func() { done <- cli.Main([]string{"kongdb", "translate", "--kubeconfig", kubeconfig}, streams) }()
	select {
	case <-listing:
	case code := <-done:
		t.Fatalf("translate ended (exit %d) before listing Services:\n%s", code, errOut)
	case <-time.After(2 * time.Minute):
		t.Fatal("translate did not list Services within 2 minutes")
	}
	// Main is running, so its signal handler is installed: SIGINT cancels its context instead of
	// killing the test binary.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitError || !strings.Contains(errOut.String(), "context canceled") {
			t.Errorf("after SIGINT: exit %d, stderr:\n%s\nwant exit %d naming the cancellation", code, errOut, cli.ExitError)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("translate did not stop within 2 minutes of SIGINT")
	}
}
