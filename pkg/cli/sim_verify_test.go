package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// fakeProxy serves the verify route's token once the fake sync has published it, and says
// when it first answered with it.
type fakeProxy struct {
	*httptest.Server
	token  atomic.Pointer[string]
	served chan struct{}
	once   atomic.Bool
}

func newFakeProxy(t *testing.T) *fakeProxy {
	t.Helper()
	p := &fakeProxy{served: make(chan struct{})}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := p.token.Load()
		if r.URL.Path != verifyPath || tok == nil {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"message":%q}`, *tok)
		if p.once.CompareAndSwap(false, true) {
			close(p.served)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

var tokenInFixture = regexp.MustCompile(`kongdb-sim-verify-[0-9a-f]{16}`)

// publishingSync is a sync that makes the proxies serve the fixture's token, then, as a sync
// with --wait does, returns only once each proxy in waitFor has answered with it.
func publishingSync(serve, waitFor []*fakeProxy) func(ctx context.Context, args []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) < 2 || args[0] != "-f" {
			return fmt.Errorf("sync args %q do not start with -f", args)
		}
		raw, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		token := tokenInFixture.FindString(string(raw))
		if token == "" {
			return errors.New("the fixture has no token")
		}
		for _, p := range serve {
			p.token.Store(&token)
		}
		for _, p := range waitFor {
			select {
			case <-p.served:
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(30 * time.Second):
				return fmt.Errorf("no one asked %s for the token while the sync waited", p.URL)
			}
		}
		return nil
	}
}

// newVerify is sim verify of cluster c1 with a fake sync, printing to the returned buffer.
func newVerify(timeout time.Duration, output string, sync func(ctx context.Context, args []string) error) (*SimVerifyOptions, *bytes.Buffer) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	so := NewSimOptions(streams)
	so.Name = "c1"
	return &SimVerifyOptions{SimOptions: so, Timeout: timeout, Output: output, factory: NewFactory(genericclioptions.NewConfigFlags(false), "kongdb"), sync: sync}, out
}

// TestSimVerifyPollsTheProxiesDuringTheSync: a sync with --wait returns only after every proxy
// served it, so the proxies must be polled from the sync's start; polled after it returned,
// every node's time would be the sync's own.
func TestSimVerifyPollsTheProxiesDuringTheSync(t *testing.T) {
	a, b := newFakeProxy(t), newFakeProxy(t)
	o, out := newVerify(time.Minute, "json", publishingSync([]*fakeProxy{a, b}, []*fakeProxy{a, b}))
	c := &sim.Cluster{Name: "c1", Nodes: []sim.Node{{Name: "cp-1", Role: sim.RoleCP, AdminURL: "http://127.0.0.1:1"},
		{Name: "dp-1", Role: sim.RoleDP, ProxyURL: a.URL}, {Name: "dp-2", Role: sim.RoleDP, ProxyURL: b.URL}}}
	if err := o.verify(t.Context(), c); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	var r SimVerifyResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if r.Cluster != "c1" || len(r.Members) != 2 || r.Members[0].Name != "dp-1" || r.Members[1].Name != "dp-2" || r.Members[1].Role != "dp" {
		t.Fatalf("got %+v, want dp-1 and dp-2 of c1", r)
	}
	for _, m := range r.Members {
		if m.ConvergedSeconds == nil || m.Error != "" {
			t.Errorf("%s: converged %v, error %q; want a time", m.Name, m.ConvergedSeconds, m.Error)
		}
	}
}

// TestSimVerifyNamesTheNodeThatNeverServedTheSync: a proxy that never serves the token fails
// verify once the timeout after the sync has passed, and the table says which.
func TestSimVerifyNamesTheNodeThatNeverServedTheSync(t *testing.T) {
	good, stale := newFakeProxy(t), newFakeProxy(t)
	o, out := newVerify(200*time.Millisecond, "", publishingSync([]*fakeProxy{good}, []*fakeProxy{good}))
	c := &sim.Cluster{Name: "c1", Nodes: []sim.Node{{Name: "node-1", Role: sim.RoleNode, AdminURL: "http://127.0.0.1:1", ProxyURL: good.URL},
		{Name: "node-2", Role: sim.RoleNode, ProxyURL: stale.URL}}}
	err := o.verify(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), `cluster "c1": node-2 did not serve the sync within 200ms`) {
		t.Fatalf("got %v, want node-2 named as not serving the sync", err)
	}
	table := out.String()
	if !regexp.MustCompile(`(?m)^node-1\s+node\s+\d`).MatchString(table) || !regexp.MustCompile(`(?m)^node-2\s+node\s+not within 200ms: last answer 404`).MatchString(table) {
		t.Errorf("table lacks node-1's time or node-2's failure:\n%s", table)
	}
}

func TestSimVerifyRejectsAnUnknownOutput(t *testing.T) {
	o, _ := newVerify(time.Minute, "table", nil)
	if err := o.Run(t.Context(), nil); err == nil || !strings.Contains(err.Error(), `--output must be json or yaml, got "table"`) {
		t.Fatalf("got %v, want the --output error", err)
	}
}
