package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestValidateTagAcceptsOneKongTagOnly(t *testing.T) {
	for tag, want := range map[string]string{
		"managed-by-kongdb":             "",
		"managed-by-ingress-controller": "",
		"team a":                        "",
		"":                              "must not be empty",
		"   ":                           "must not be empty",
		" padded":                       "white space",
		"a/b":                           "must be one tag",
		"a,b":                           "must be one tag",
		"a\tb":                          "control characters",
	} {
		err := ValidateTag(tag)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidateTag(%q) = %v, want %q", tag, err, want)
		}
	}
}

// TestReadStateLeavesOutEntitiesWithoutTheTag: an entity Kong lists under the tag filter but
// that does not carry the tag (a filter read as OR, a proxy that drops the query) is never
// read as ours, so it can never become a delete candidate; the read says so in a note.
func TestReadStateLeavesOutEntitiesWithoutTheTag(t *testing.T) {
	ours := []any{"managed-by-kongdb"}
	k := &fakeKong{root: rootBody, pages: map[string][][]map[string]any{
		"/services": {{{"id": "1", "name": "ours", "tags": ours}, {"id": "2", "name": "theirs", "tags": []any{"managed-by-kongdb-2"}}},
			{{"id": "3", "name": "untagged"}}},
		"/plugins":   {{{"id": "p1", "name": "key-auth", "tags": []any{"other"}}}},
		"/consumers": {{{"id": "c1", "username": "u", "tags": ours}}},
		"/upstreams": {{{"id": "u1", "name": "u1"}}},
		"/snis":      {{{"id": "s1", "name": "a.example", "certificate": map[string]any{"id": "x"}}}},
	}}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	cl, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s, notes, err := ReadState(t.Context(), cl.Nodes[0].Client, ReadOptions{Tag: "managed-by-kongdb"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Services) != 1 || *s.Services[0].Name != "ours" || len(s.Plugins) != 0 || len(s.Upstreams) != 0 ||
		len(s.Consumers) != 1 || len(s.Certificates) != 0 {
		t.Fatalf("foreign entities read as ours: services %d plugins %d upstreams %d", len(s.Services), len(s.Plugins), len(s.Upstreams))
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{"2 entities of /services", "1 entities of /plugins", "1 entities of /upstreams", "1 entities of /snis"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes %q do not say %q", joined, want)
		}
	}
}

// TestListStopsWhenKongRepeatsAnOffset: a server that answers every page with the same offset
// ends the read with an error naming the repeat instead of looping for ever (the server here
// gives up after 50 requests so that the old code fails rather than hangs).
func TestListStopsWhenKongRepeatsAnOffset(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte(rootBody))
			return
		}
		if r.URL.Path != "/services" {
			// Only services repeat: the other lists, read concurrently, end at once, so the
			// read's one error is the repeat and /services is surely asked.
			_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{}})
			return
		}
		if requests.Add(1) > 50 {
			http.Error(w, `{"message":"too many"}`, http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{}, "offset": "same"})
	}))
	t.Cleanup(srv.Close)
	cl, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadState(t.Context(), cl.Nodes[0].Client, ReadOptions{Tag: "managed-by-kongdb"})
	if err == nil || !strings.Contains(err.Error(), `repeated the page token "same"`) {
		t.Fatalf("got %v, want the repeated offset named", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests to /services, want 2 (the first page and the repeat)", n)
	}
}

func TestPagerStopsAfterMaxPages(t *testing.T) {
	var p Pager
	for i := range MaxPages {
		if err := p.Next(string(rune(i + 0x100))); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
	}
	if err := p.Next("one more"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("got %v", err)
	}
}

// TestDataPlanesStopWhenTheControlPlaneRepeatsAnOffset: a control plane cycling between two
// offsets is an error, not a list of data planes read as whole (nor 1,000 pages of repeats).
func TestDataPlanesStopWhenTheControlPlaneRepeatsAnOffset(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		next := map[string]string{"": "a", "a": "b", "b": "a"}[r.URL.Query().Get("offset")]
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{map[string]any{"id": "dp"}}, "offset": next})
	}))
	t.Cleanup(srv.Close)
	cp, err := newKongClient(srv.Client(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := DataPlanes(t.Context(), cp)
	if err == nil || !strings.Contains(err.Error(), `repeated the page token "a"`) || rows != nil {
		t.Fatalf("got %d rows, %v; want the repeated offset named", len(rows), err)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}
