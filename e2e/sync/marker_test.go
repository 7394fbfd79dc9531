package sync_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/converge"
)

// TestSyncMarkerIsNotAPublicPage: the sync marker's route answers only requests for its
// reserved host, which --wait sends, and nothing that leaves the sync (the record in Kong, the
// report as a table and as JSON, the log) holds the -f URL's token or the admin URL's
// password. On the old main the proxy answered the marker's path to anyone, and the record
// held both secrets.
func TestSyncMarkerIsNotAPublicPage(t *testing.T) {
	const token, password = "tok-3f9a2c", "hunter2-admin"
	f := newFixture(t)
	raw, err := os.ReadFile(manifests(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write(raw)
	}))
	t.Cleanup(files.Close)
	admin, err := url.Parse(f.kong.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin.User = url.UserPassword("admin", password)
	for _, format := range []string{"table", "json"} {
		if format == "json" {
			// A second sync with something to write, so the record is written again.
			raw = []byte(strings.Replace(string(raw), "minute: 60", "minute: 61", 1))
		}
		r := run(t, "sync", "-f", files.URL+"/app.yaml?token="+token, "--kong-admin-url", admin.String(),
			"--schema-cache-dir", f.cache, "--kong-proxy-url", f.node.ProxyURL, "--wait=30s", "-o", format)
		if r.code != 0 {
			t.Fatalf("sync -o %s: exit %d\n%s\n%s", format, r.code, r.stdout, r.stderr)
		}
		for _, secret := range []string{token, password} {
			if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
				t.Errorf("sync -o %s shows %q:\n%s\n%s", format, secret, r.stdout, r.stderr)
			}
		}
		rec := markerRecord(t, f.node.URL)
		for _, secret := range []string{token, password} {
			if strings.Contains(rec.Source+rec.From+strings.Join(rec.Nodes, " "), secret) {
				t.Errorf("the sync marker's record holds %q: %+v", secret, rec)
			}
		}
		if !strings.Contains(rec.Source, files.URL+"/app.yaml") {
			t.Errorf("the record's source %q no longer names the file", rec.Source)
		}
	}
	path := converge.Marker{OwnershipTag: "managed-by-kongdb"}.Path()
	resp, err := http.Get(f.node.ProxyURL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("the proxy answers %s to a request without the marker's host", path)
	}
}
