package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTokenNeverFollowsARedirectToAnotherHost: go-kong adds the token to every request it sends,
// a redirected one included, so a redirect to another host is not followed at all.
func TestTokenNeverFollowsARedirectToAnotherHost(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(TokenHeader) != "" {
			leaked.Store(true)
		}
		_, _ = w.Write([]byte(rootBody))
	}))
	t.Cleanup(other.Close)
	kong := httptest.NewServer(http.RedirectHandler(other.URL+"/", http.StatusTemporaryRedirect))
	t.Cleanup(kong.Close)
	_, err := Connect(t.Context(), Config{Token: "s3cret-token"}, StaticEndpoints{kong.URL})
	if leaked.Load() {
		t.Fatal("the token was sent to the host the Admin API redirected to")
	}
	if err == nil || !strings.Contains(err.Error(), "redirected to") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v, want the redirect refused", err)
	}
}

// TestTokenOverPlainHTTPIsWarnedOfFirst: a token bound for a plain-HTTP Admin API on another
// machine is warned of before any request; loopback, https or no token is not.
func TestTokenOverPlainHTTPIsWarnedOfFirst(t *testing.T) {
	got := plainTextTokenWarnings("t", []string{"http://10.0.0.7:8001", "https://10.0.0.8:8444", "http://127.0.0.1:8001",
		"http://localhost:8001", "http://[::1]:8001", "http://kong.example:8001"})
	if len(got) != 2 || !strings.Contains(got[0], "plain HTTP to http://10.0.0.7:8001") || !strings.Contains(got[1], "kong.example") {
		t.Fatalf("warnings %q", got)
	}
	if w := plainTextTokenWarnings("", []string{"http://10.0.0.7:8001"}); len(w) != 0 {
		t.Fatalf("warned without a token: %q", w)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // no request may leave; the warning must come anyway
	var heard []string
	_, _ = Connect(ctx, Config{Token: "t", Warn: func(s string) { heard = append(heard, s) }}, StaticEndpoints{"http://192.0.2.1:8001"})
	if len(heard) != 1 || !strings.Contains(heard[0], "192.0.2.1") {
		t.Fatalf("heard %q before connecting", heard)
	}
}
