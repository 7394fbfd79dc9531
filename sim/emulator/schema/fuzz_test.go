package schema

import (
	"encoding/json"
	"testing"
)

// FuzzProcess checks that no input makes Process panic, and that whatever
// it accepts is accepted again as a full replacement (what is stored stays
// valid). Plain `go test` runs the seed corpus.
func FuzzProcess(f *testing.F) {
	seeds := []struct {
		entity uint8
		body   string
	}{
		{0, `{"name":"svc","host":"httpbin.org"}`},
		{0, `{"url":"https://example.com:8443/a/b"}`},
		{1, `{"paths":["/a","~/b(c"],"protocols":["grpc"],"hosts":["*.a.com"],"headers":{"x":["y"]}}`},
		{2, `{"name":"up","hash_on":"header","hash_on_header":"x","healthchecks":{"active":{"healthy":{"interval":5}}}}`},
		{3, `{"target":"[::1]:80","upstream":{"id":"a2c3e1b4-1234-4234-8234-123456789abc"}}`},
		{4, `{"name":"rate-limiting","config":{"minute":5,"redis_host":"r","policy":"redis"}}`},
		{4, `{"name":"response-ratelimiting","config":{"limits":{"a":{"second":1}}}}`},
		{4, `{"name":"request-transformer","config":{"add":{"headers":["a:b"]},"remove":[]}}`},
		{5, `{"username":"a","tags":["x","x"]}`},
		{6, `{"consumer":{"id":1},"key":[]}`},
		{7, `{"cert":"-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----","snis":["a.com","a.com"]}`},
		{8, `{"prefix":"my-env","name":"env","config":{"prefix":"X_"}}`},
		{9, `{"a":{"b":[1,{"c":null}]},"protocols":{},"config":[]}`},
	}
	for _, s := range seeds {
		f.Add(s.entity, []byte(s.body))
	}
	entities := All()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		var in map[string]any
		if json.Unmarshal(body, &in) != nil {
			return
		}
		e := entities[int(which)%len(entities)]
		out, err := e.Process(in, Insert, testNow)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%s: error of type %T: %v", e.Name, err, err)
			}
			_ = err.Error()
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("%s: output does not encode: %v", e.Name, err)
		}
		if e.Name == "basicauth_credentials" || e.Name == "oauth2_credentials" {
			return // the stored secret is a hash, re-processing hashes again
		}
		if _, err := e.Process(out, Upsert, testNow); err != nil {
			t.Fatalf("%s: stored entity %v is not valid again: %v", e.Name, out, err)
		}
	})
}
