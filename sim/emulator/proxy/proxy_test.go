package proxy

import (
	"net/http"
	"regexp"
	"testing"
)

func TestProxyRoutesToServiceAndAnswersKong404(t *testing.T) {
	backend := newEcho(t, "a")
	c := newConfig()
	c.service(t, "svc-a", backend, nil)
	c.route("11111111-1111-4111-8111-111111111111", "svc-a", map[string]any{"paths": []any{"/foo"}})
	_, front := startProxy(t, c.e, Options{})

	r := get(t, front.URL, "/foo/bar?x=1")
	if r.status != http.StatusOK || r.echo.Path != "/bar?x=1" {
		t.Fatalf("GET /foo/bar: status %d path %q", r.status, r.echo.Path)
	}
	if got := r.header.Get("Via"); got != "1.1 kong/3.9.3" {
		t.Errorf("response Via = %q", got)
	}
	if got := r.echo.Header.Get("Via"); got != "1.1 kong/3.9.3" {
		t.Errorf("upstream Via = %q", got)
	}

	r = get(t, front.URL, "/nothing")
	if r.status != http.StatusNotFound {
		t.Fatalf("GET /nothing: status %d", r.status)
	}
	want := regexp.MustCompile(`^\{\n  "message":"no Route matched with those values",\n  "request_id":"[0-9a-f]{32}"\n\}$`)
	if !want.Match(r.body) {
		t.Errorf("404 body %q", r.body)
	}
	if r.header.Get("Server") != "kong/3.9.3" || r.header.Get("X-Kong-Request-Id") == "" {
		t.Errorf("404 headers %v", r.header)
	}
}
