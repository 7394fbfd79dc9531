package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

func TestNestFormFollowsKongsConventions(t *testing.T) {
	tests := []struct {
		form string
		want map[string]any
	}{
		{"name=a", map[string]any{"name": "a"}},
		{"config.minute=5&config.policy=local", map[string]any{"config": map[string]any{"minute": "5", "policy": "local"}}},
		{"paths[]=/a&paths[]=/b", map[string]any{"paths": []any{"/a", "/b"}}},
		{"hosts=a&hosts=b", map[string]any{"hosts": []any{"a", "b"}}},
		{"paths[1]=/a&paths[2]=/b", map[string]any{"paths": []any{"/a", "/b"}}},
		{"headers.x-a[]=1", map[string]any{"headers": map[string]any{"x-a": []any{"1"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.form, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			if got := nestForm(vals); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func send(t *testing.T, url, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestFormAndMultipartBodiesCreateTypedEntities(t *testing.T) {
	srv := newTestServer(t)
	code, body := send(t, srv.URL+"/services", "application/x-www-form-urlencoded",
		strings.NewReader("name=formsvc&host=example.com&port=8080&retries=2&tags[]=a&tags[]=b"))
	mustStatus(t, 201, code, body)
	if body["port"] != 8080.0 || body["retries"] != 2.0 || !reflect.DeepEqual(body["tags"], []any{"a", "b"}) {
		t.Fatalf("form service: %v", body)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"name": "mroute", "paths[]": "/m", "strip_path": "false", "service.id": body["id"].(string)} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = send(t, srv.URL+"/routes", mw.FormDataContentType(), &buf)
	mustStatus(t, 201, code, body)
	if body["strip_path"] != false || !reflect.DeepEqual(body["paths"], []any{"/m"}) || body["service"] == nil {
		t.Fatalf("multipart route: %v", body)
	}
}

func selfSigned(t *testing.T, cn string) (string, string) {
	t.Helper()
	return makeCert(t, cn, false)
}

func makeCert(t *testing.T, cn string, isCA bool) (string, string) {
	t.Helper()
	p, err := pki.SelfSigned(pki.Options{CommonName: cn, IsCA: isCA})
	if err != nil {
		t.Fatal(err)
	}
	return string(p.CertPEM), string(p.KeyPEM)
}

func TestCertificateSNIsAreManagedWithTheCertificate(t *testing.T) {
	srv := newTestServer(t)
	cert, key := selfSigned(t, "a.example.com")
	payload := func(snis ...string) string {
		b, err := json.Marshal(map[string]any{"cert": cert, "key": key, "snis": snis})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	code, c1 := do(t, srv, "POST", "/certificates", payload("b.example.com", "a.example.com"))
	mustStatus(t, 201, code, c1)
	if !reflect.DeepEqual(c1["snis"], []any{"a.example.com", "b.example.com"}) {
		t.Fatalf("snis %v; want sorted names", c1["snis"])
	}
	code, body := do(t, srv, "GET", "/certificates/b.example.com", "")
	mustStatus(t, 200, code, body)
	if body["id"] != c1["id"] {
		t.Fatalf("lookup by SNI returned %v", body["id"])
	}
	code, body = do(t, srv, "GET", "/certificates/none.example.com", "")
	mustStatus(t, 404, code, body)
	if body["message"] != "SNI not found" {
		t.Fatalf("missing SNI: %v", body)
	}
	code, body = do(t, srv, "POST", "/certificates", payload("a.example.com"))
	mustStatus(t, 409, code, body)
	code, body = do(t, srv, "GET", "/certificates", "")
	mustStatus(t, 200, code, body)
	if n := len(body["data"].([]any)); n != 1 {
		t.Fatalf("%d certificates after a refused duplicate SNI; want 1 (nothing partially written)", n)
	}
	code, body = do(t, srv, "PATCH", "/certificates/"+c1["id"].(string), `{"snis":["c.example.com"]}`)
	mustStatus(t, 200, code, body)
	code, body = do(t, srv, "GET", "/snis", "")
	mustStatus(t, 200, code, body)
	if n := len(body["data"].([]any)); n != 1 {
		t.Fatalf("%d SNIs after replacing the list; want 1", n)
	}
	code, body = do(t, srv, "DELETE", "/certificates/"+c1["id"].(string), "")
	mustStatus(t, 204, code, body)
	code, body = do(t, srv, "GET", "/snis", "")
	mustStatus(t, 200, code, body)
	if n := len(body["data"].([]any)); n != 0 {
		t.Fatalf("%d SNIs left after deleting their certificate", n)
	}
}

func TestReferencedCACertificateCannotBeDeleted(t *testing.T) {
	srv := newTestServer(t)
	ca, _ := makeCert(t, "Test CA", true)
	b, err := json.Marshal(map[string]any{"cert": ca})
	if err != nil {
		t.Fatal(err)
	}
	code, body := do(t, srv, "POST", "/ca_certificates", string(b))
	mustStatus(t, 201, code, body)
	caID := body["id"].(string)
	code, body = do(t, srv, "POST", "/ca_certificates", string(b))
	mustStatus(t, 409, code, body)
	code, svc := do(t, srv, "POST", "/services", `{"name":"s","url":"https://example.com","ca_certificates":["`+caID+`"]}`)
	mustStatus(t, 201, code, svc)
	code, body = do(t, srv, "DELETE", "/ca_certificates/"+caID, "")
	mustStatus(t, 400, code, body)
	want := "ca certificate " + caID + " is still referenced by services (id = " + svc["id"].(string) + ")"
	if body["code"] != 19.0 || body["message"] != want {
		t.Fatalf("body %v; want code 19 %q", body, want)
	}
	code, body = do(t, srv, "DELETE", "/services/s", "")
	mustStatus(t, 204, code, body)
	code, body = do(t, srv, "DELETE", "/ca_certificates/"+caID, "")
	mustStatus(t, 204, code, body)
}
