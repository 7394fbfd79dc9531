package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type failingService struct{ started chan struct{} }

func (f failingService) Run(ctx context.Context) error {
	close(f.started)
	select {
	case <-time.After(200 * time.Millisecond):
		return errors.New("poller lost its database")
	case <-ctx.Done():
		return nil
	}
}

func TestNodeServesAdminAndStopsWhenAServiceFails(t *testing.T) {
	db := pgtest.NewDatabase(t)
	env := append(db.Env(), "KONG_ADMIN_LISTEN=127.0.0.1:0", "KONG_STATUS_LISTEN=off", "KONG_PROXY_LISTEN=127.0.0.1:0",
		"KONG_PREFIX="+t.TempDir())
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	pool, err := store.Pool(t.Context(), StoreOptions(cfg, ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Bootstrap(t.Context(), pool, func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	node, err := NewNode(t.Context(), cfg, Logger(io.Discard, "error"))
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	addrs, err := node.Listen()
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	svc := failingService{started: make(chan struct{})}
	node.Services = append(node.Services, svc)
	done := make(chan error, 1)
	go func() { done <- node.Run(context.Background()) }()
	<-svc.started
	resp, err := http.Get(fmt.Sprintf("http://%s/", addrs[0]))
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err == nil || err.Error() != "poller lost its database" {
			t.Fatalf("Run returned %v; want the service's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node kept running after a service failed")
	}
}
