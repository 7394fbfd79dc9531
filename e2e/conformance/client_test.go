package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// response is one Admin API answer, decoded.
type response struct {
	Status int
	Body   map[string]any
	Raw    string
}

// call sends one request to the emulator; contentType "" sends JSON when
// there is a body.
func call(t testing.TB, e *Emulator, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.AdminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if contentType == "" && body != "" {
		contentType = "application/json"
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := response{Status: resp.StatusCode, Raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

func count(t testing.TB, e *Emulator, path string) int {
	t.Helper()
	r := call(t, e, "GET", path, "", "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Raw)
	}
	data, _ := r.Body["data"].([]any)
	return len(data)
}
