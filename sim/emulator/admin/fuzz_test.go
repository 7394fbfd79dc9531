package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/schema"
)

// FuzzReadBody checks that no body, in any of the accepted encodings,
// makes the decoder panic; refusals must be Kong's 400/413/415.
func FuzzReadBody(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"name":"a","port":80}`},
		{"application/json", `{"name":`},
		{"application/json", `[1]`},
		{"application/x-www-form-urlencoded", "a.b.c=1&a[]=2&a[1]=3&x[y][z]=4"},
		{"application/x-www-form-urlencoded", "paths[2]=/b&paths[1]=/a&port=80&tags="},
		{"application/x-www-form-urlencoded", "%zz"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"},
		{"text/plain", "hi"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.body)
	}
	services, _ := schema.Get("services")
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest(http.MethodPost, "/services", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		m, err := readBody(r, services)
		if err == nil && m == nil {
			t.Fatal("nil body without error")
		}
		if he, ok := err.(*httpError); err != nil && ok {
			switch he.status {
			case 400, 413, 415:
			default:
				t.Fatalf("status %d for a bad body", he.status)
			}
		}
	})
}

// FuzzNestForm checks Kong's form conventions never panic on odd keys.
func FuzzNestForm(f *testing.F) {
	for _, s := range []string{"a=1", "a[]=1&a[]=2", "a.b[1]=x&a.b[2]=y", "a[=1", "[]=1", "a..b=1", "a[1]=x&a=y", "a=y&a.b=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		_ = nestForm(vals)
	})
}
