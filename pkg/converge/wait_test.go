package converge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kong/go-kong/kong"
)

// TestDataPlanesStopWhenTheControlPlaneRepeatsNext: a control plane whose next link points at
// a page already read ends the poll with an error instead of an endless loop (the server gives
// up after 50 requests, so that a loop that does not notice fails rather than hangs).
func TestDataPlanesStopWhenTheControlPlaneRepeatsNext(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 50 {
			http.Error(w, `{"message":"gave up"}`, http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"data": []any{map[string]any{"id": "dp1", "config_hash": "h"}},
			"next": "/clustering/data-planes?size=1000&offset=again",
		})
	}))
	t.Cleanup(srv.Close)
	cp, err := kong.NewClient(kong.String(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Waiter{ControlPlane: cp}).DataPlaneHashes(t.Context())
	if err == nil || !strings.Contains(err.Error(), "repeated the page token") {
		t.Fatalf("got %v, want the repeated next link named", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (the first page, then the page it links again)", n)
	}
}
