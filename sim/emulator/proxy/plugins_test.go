package proxy

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

const (
	routeID    = "aaaaaaaa-0000-4000-8000-000000000001"
	aliceID    = "cccccccc-0000-4000-8000-00000000000a"
	bobID      = "cccccccc-0000-4000-8000-00000000000b"
	pluginSvc  = "svc"
	keyAlice   = "alice-key"
	keyBob     = "bob-key"
	ratePlugin = "rate-limiting"
)

// authConfig is a service with key-auth and acl (allow "gold"), alice in
// gold, bob in no group.
func authConfig(t *testing.T) *config {
	t.Helper()
	c := newConfig()
	c.service(t, pluginSvc, newEcho(t, "a"), nil)
	c.route(routeID, pluginSvc, map[string]any{"paths": []any{"/api"}})
	c.add("consumers", map[string]any{"id": aliceID, "username": "alice"})
	c.add("consumers", map[string]any{"id": bobID, "username": "bob", "custom_id": "b-1"})
	c.add("keyauth_credentials", map[string]any{"id": "k1", "consumer": map[string]any{"id": aliceID}, "key": keyAlice})
	c.add("keyauth_credentials", map[string]any{"id": "k2", "consumer": bobID, "key": keyBob})
	c.add("acls", map[string]any{"id": "a1", "consumer": map[string]any{"id": aliceID}, "group": "gold"})
	c.add("plugins", map[string]any{"id": "p1", "name": "key-auth", "service": map[string]any{"id": pluginSvc},
		"config": map[string]any{"key_names": []any{"apikey"}, "hide_credentials": true}})
	c.add("plugins", map[string]any{"id": "p2", "name": "acl", "route": map[string]any{"id": routeID},
		"config": map[string]any{"allow": []any{"gold"}}})
	return c
}

func TestKeyAuthAndACL(t *testing.T) {
	_, front := startProxy(t, authConfig(t).e, Options{})

	r := get(t, front.URL, "/api")
	if r.status != http.StatusUnauthorized || message(t, r.body) != "No API key found in request" || r.header.Get("WWW-Authenticate") != "Key" {
		t.Errorf("no key: %d %q %v", r.status, r.body, r.header)
	}
	r = get(t, front.URL, "/api", "apikey", "wrong")
	if r.status != http.StatusUnauthorized || message(t, r.body) != "Unauthorized" {
		t.Errorf("wrong key: %d %q", r.status, r.body)
	}
	r = get(t, front.URL, "/api?apikey="+keyAlice)
	if r.status != http.StatusOK {
		t.Fatalf("alice: %d %q", r.status, r.body)
	}
	if r.echo.Header.Get("X-Consumer-Username") != "alice" || r.echo.Header.Get("X-Consumer-Id") != aliceID ||
		r.echo.Header.Get("X-Consumer-Groups") != "gold" || r.echo.Header.Get("X-Credential-Identifier") != "k1" {
		t.Errorf("alice's upstream headers: %v", r.echo.Header)
	}
	if r.echo.Path != "/" {
		t.Errorf("hide_credentials: upstream got %q, want the key removed from the query", r.echo.Path)
	}
	r = get(t, front.URL, "/api", "apikey", keyBob)
	if r.status != http.StatusForbidden || message(t, r.body) != "You cannot consume this service" {
		t.Errorf("bob (no group): %d %q", r.status, r.body)
	}
}

func TestBasicAuthChecksKongsHashedPassword(t *testing.T) {
	c := newConfig()
	c.service(t, pluginSvc, newEcho(t, "a"), nil)
	c.route(routeID, pluginSvc, map[string]any{"paths": []any{"/"}})
	c.add("consumers", map[string]any{"id": aliceID, "username": "alice"})
	c.add("basicauth_credentials", map[string]any{"id": "b1", "consumer": map[string]any{"id": aliceID},
		"username": "al", "password": basicHash("s3cret", aliceID)})
	c.add("plugins", map[string]any{"id": "p1", "name": "basic-auth", "config": map[string]any{"realm": "service"}})
	_, front := startProxy(t, c.e, Options{})

	req, _ := http.NewRequest(http.MethodGet, front.URL+"/", nil)
	req.SetBasicAuth("al", "s3cret")
	if r := do(t, req); r.status != http.StatusOK || r.echo.Header.Get("X-Consumer-Username") != "alice" {
		t.Errorf("right password: %d %v", r.status, r.echo.Header)
	}
	req.SetBasicAuth("al", "wrong")
	if r := do(t, req); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Basic realm="service"` {
		t.Errorf("wrong password: %d %v", r.status, r.header)
	}
}

func TestRateLimitingAnswers429WithKongHeaders(t *testing.T) {
	c := authConfig(t)
	c.add("plugins", map[string]any{"id": "p3", "name": ratePlugin, "service": map[string]any{"id": pluginSvc},
		"config": map[string]any{"minute": float64(3), "hour": float64(10), "policy": "redis", "limit_by": "consumer"}})
	now := time.Date(2026, 11, 26, 15, 0, 20, 0, time.UTC)
	s, front := startProxy(t, c.e, Options{Now: func() time.Time { return now }})
	if got := s.Stats().PluginsApproximated; len(got) != 1 || got[0] != "rate-limiting policy redis counted locally per node" {
		t.Errorf("PluginsApproximated = %v", got)
	}

	for i := 1; i <= 3; i++ {
		r := get(t, front.URL, "/api", "apikey", keyAlice)
		if r.status != http.StatusOK {
			t.Fatalf("request %d: %d %q", i, r.status, r.body)
		}
		if got := r.header.Get("X-RateLimit-Remaining-Minute"); got != strconv.Itoa(3-i) {
			t.Errorf("request %d: X-RateLimit-Remaining-Minute %q", i, got)
		}
		if r.header.Get("RateLimit-Limit") != "3" || r.header.Get("RateLimit-Reset") != "40" ||
			r.header.Get("X-RateLimit-Limit-Hour") != "10" {
			t.Errorf("request %d: headers %v", i, r.header)
		}
	}
	r := get(t, front.URL, "/api", "apikey", keyAlice)
	if r.status != http.StatusTooManyRequests || message(t, r.body) != "API rate limit exceeded" {
		t.Fatalf("4th request: %d %q", r.status, r.body)
	}
	if r.header.Get("Retry-After") != "40" || r.header.Get("RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Remaining-Minute") != "0" {
		t.Errorf("429 headers: %v", r.header)
	}
	// acl (950) runs before rate-limiting (910): bob is refused by acl
	// and never counted.
	if r := get(t, front.URL, "/api", "apikey", keyBob); r.status != http.StatusForbidden {
		t.Errorf("bob: %d", r.status)
	}
}

func TestPluginPrecedenceConsumerOverService(t *testing.T) {
	c := authConfig(t)
	c.add("plugins", map[string]any{"id": "p3", "name": "request-termination", "service": map[string]any{"id": pluginSvc},
		"config": map[string]any{"status_code": float64(503)}})
	c.add("plugins", map[string]any{"id": "p4", "name": "request-termination", "consumer": map[string]any{"id": aliceID},
		"config": map[string]any{"status_code": float64(418), "message": "teapot for alice"}})
	_, front := startProxy(t, c.e, Options{})

	r := get(t, front.URL, "/api", "apikey", keyAlice)
	if r.status != 418 || message(t, r.body) != "teapot for alice" {
		t.Errorf("alice: %d %q", r.status, r.body)
	}
	r = get(t, front.URL, "/api", "apikey", keyBob)
	// bob is stopped by acl (priority 950) before request-termination (2).
	if r.status != http.StatusForbidden {
		t.Errorf("bob: %d %q", r.status, r.body)
	}
}

func TestRequestTerminationAndNotExecutedPlugins(t *testing.T) {
	c := newConfig()
	c.service(t, pluginSvc, newEcho(t, "a"), nil)
	c.route(routeID, pluginSvc, map[string]any{"paths": []any{"/"}})
	c.add("plugins", map[string]any{"id": "p1", "name": "request-termination", "route": routeID,
		"config": map[string]any{"status_code": float64(503), "trigger": "x-stop"}})
	c.add("plugins", map[string]any{"id": "p2", "name": "prometheus", "config": map[string]any{}})
	c.add("plugins", map[string]any{"id": "p3", "name": "zipkin", "enabled": false, "config": map[string]any{}})
	s, front := startProxy(t, c.e, Options{})

	if r := get(t, front.URL, "/"); r.status != http.StatusOK {
		t.Errorf("without trigger: %d", r.status)
	}
	r := get(t, front.URL, "/", "X-Stop", "1")
	if r.status != http.StatusServiceUnavailable || string(r.body) != `{"message":"Service unavailable"}` {
		t.Errorf("with trigger: %d %q", r.status, r.body)
	}
	st := s.Stats()
	if len(st.PluginsNotExecuted) != 1 || st.PluginsNotExecuted[0] != "prometheus" {
		t.Errorf("PluginsNotExecuted = %v, want [prometheus] (disabled zipkin ignored)", st.PluginsNotExecuted)
	}
	if len(st.PluginsApproximated) != 0 {
		t.Errorf("PluginsApproximated = %v", st.PluginsApproximated)
	}
	if st.Requests != 2 || st.Entities["plugins"] != 2 || !st.ConfigLoaded {
		t.Errorf("stats %+v", st)
	}
}

func TestHeaderPluginsTransformCORSAndCorrelationID(t *testing.T) {
	c := newConfig()
	c.service(t, pluginSvc, newEcho(t, "a"), nil)
	c.route(routeID, pluginSvc, map[string]any{"paths": []any{"/"}})
	c.add("plugins", map[string]any{"id": "p1", "name": "request-transformer", "config": map[string]any{
		"remove": map[string]any{"headers": []any{"x-drop"}}, "rename": map[string]any{"headers": []any{"x-old:x-new"}},
		"add": map[string]any{"headers": []any{"x-added:yes"}}}})
	c.add("plugins", map[string]any{"id": "p2", "name": "response-transformer", "config": map[string]any{
		"add": map[string]any{"headers": []any{"x-resp:1"}}, "remove": map[string]any{"headers": []any{"content-type"}}}})
	c.add("plugins", map[string]any{"id": "p3", "name": "cors", "config": map[string]any{"origins": []any{"http://a.example"}}})
	c.add("plugins", map[string]any{"id": "p4", "name": "correlation-id", "config": map[string]any{
		"header_name": "Kong-Request-ID", "generator": "uuid", "echo_downstream": true}})
	_, front := startProxy(t, c.e, Options{})

	req, _ := http.NewRequest(http.MethodGet, front.URL+"/", nil)
	req.Header.Set("X-Drop", "1")
	req.Header.Set("X-Old", "v")
	req.Header.Set("Origin", "http://a.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if h.Get("X-Resp") != "1" || h.Get("Content-Type") != "" || h.Get("Access-Control-Allow-Origin") != "http://a.example" ||
		h.Get("Kong-Request-Id") == "" {
		t.Errorf("response headers %v", h)
	}
	// The upstream's view: the content type was removed, so decode by hand.
	r2 := doEcho(t, front.URL+"/", http.Header{"X-Drop": {"1"}, "X-Old": {"v"}})
	if r2.Header.Get("X-Drop") != "" || r2.Header.Get("X-New") != "v" || r2.Header.Get("X-Added") != "yes" || r2.Header.Get("Kong-Request-Id") == "" {
		t.Errorf("upstream headers %v", r2.Header)
	}

	pre, _ := http.NewRequest(http.MethodOptions, front.URL+"/", nil)
	pre.Header.Set("Origin", "http://a.example")
	pre.Header.Set("Access-Control-Request-Method", "PUT")
	r := do(t, pre)
	if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Methods") != "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
}

// TestPluginLookupPrecedence checks plugins_iterator.lua lookup_cfg: with
// every combination configured, removing the most specific one at a time
// must fall to the next in Kong's order.
func TestPluginLookupPrecedence(t *testing.T) {
	order := []scope{
		{route: "r", service: "s", consumer: "c"},
		{route: "r", consumer: "c"},
		{service: "s", consumer: "c"},
		{route: "r", service: "s"},
		{consumer: "c"},
		{route: "r"},
		{service: "s"},
		{},
	}
	combos := map[scope]instance{}
	for i, sc := range order {
		combos[sc] = &redirect{status: i}
	}
	for i, sc := range order {
		got := lookup(combos, "r", "s", "c")
		if got == nil || got.(*redirect).status != i {
			t.Fatalf("with %v the most specific left, lookup chose %v", sc, got)
		}
		delete(combos, sc)
	}
	if lookup(combos, "r", "s", "c") != nil {
		t.Error("nothing configured, something found")
	}
	// Without a consumer, consumer-scoped configurations never apply.
	combos = map[scope]instance{{consumer: "c"}: &redirect{status: 1}, {service: "s"}: &redirect{status: 2}}
	if got := lookup(combos, "r", "s", ""); got.(*redirect).status != 2 {
		t.Errorf("anonymous request got the consumer's configuration")
	}
}

func TestRedirectPluginKeepsIncomingPath(t *testing.T) {
	c := newConfig()
	c.service(t, pluginSvc, newEcho(t, "a"), nil)
	c.route(routeID, pluginSvc, map[string]any{"paths": []any{"/old"}})
	c.add("plugins", map[string]any{"id": "p1", "name": "redirect", "route": map[string]any{"id": routeID},
		"config": map[string]any{"status_code": float64(308), "location": "https://new.example/base", "keep_incoming_path": true}})
	_, front := startProxy(t, c.e, Options{})

	r := get(t, front.URL, "/old/./x?y=1")
	if r.status != http.StatusPermanentRedirect || r.header.Get("Location") != "https://new.example/old/x?y=1" || string(r.body) != "redirecting" {
		t.Errorf("redirect: %d %v %q", r.status, r.header, r.body)
	}
}
