package echo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestEchoAnswersAsTheConformanceSuiteParsesIt(t *testing.T) {
	t.Setenv("NAMESPACE", "gateway-conformance-infra")
	t.Setenv("POD_NAME", "infra-backend-v1-abc")
	srv := httptest.NewServer(handler("3000", io.Discard))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/a//b?x=1&y=2", nil)
	req.Host = "foo.example"
	req.Header.Set("X-Echo-Set-Header", "X-Foo: bar, X-Baz:qux")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q; the suite parses the body only when it is exactly application/json", ct)
	}
	if resp.Header.Get("X-Foo") != "bar" || resp.Header.Get("X-Baz") != "qux" {
		t.Errorf("response headers %v; want X-Foo: bar and X-Baz: qux from X-Echo-Set-Header", resp.Header)
	}
	var got Captured
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := Captured{Path: "/a//b?x=1&y=2", Host: "foo.example", Method: "POST", Proto: "HTTP/1.1",
		Namespace: "gateway-conformance-infra", Pod: "infra-backend-v1-abc", HTTPPort: "3000"}
	got.Headers = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("echo %+v\nwant %+v", got, want)
	}
}

func TestHealthAndStatusPathsAnswerTheirCodes(t *testing.T) {
	srv := httptest.NewServer(handler("3000", io.Discard))
	defer srv.Close()
	for path, want := range map[string]int{"/health": 200, "/status/503": 503, "/status/x": 400} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
