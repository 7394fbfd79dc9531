package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Recorded Kong Gateway Enterprise 3.9 answers (shapes from Kong's Enterprise Admin API docs
// and go-kong's ConsumerGroupService/ConsumerGroupConsumerService): / with an Enterprise
// version, an owned consumer group, and its members, one of which is not an owned consumer.
var enterpriseAnswers = map[string]string{
	"/": `{"version":"3.9.1.0-enterprise-edition","node_id":"n1","hostname":"cp","configuration":{"database":"postgres","role":"traditional"}}`,
	"/consumer_groups": `{"data":[{"id":"8f0e4f3c-0000-4000-8000-00000000g01d","name":"gold","created_at":1700000000,` +
		`"tags":["managed-by-kongdb","k8s-kind:KongConsumerGroup","k8s-namespace:shop","k8s-name:gold"]}],"next":null}`,
	"/consumer_groups/8f0e4f3c-0000-4000-8000-00000000g01d/consumers": `{"data":[` +
		`{"id":"c0000000-0000-4000-8000-0000000a11ce","username":"alice","created_at":1700000001,"tags":["managed-by-kongdb"]},` +
		`{"id":"c0000000-0000-4000-8000-00000000b0b0","username":"bob","created_at":1700000002,"tags":["someone-else"]}],"next":null}`,
	"/consumers": `{"data":[{"id":"c0000000-0000-4000-8000-0000000a11ce","username":"alice","tags":["managed-by-kongdb"]}],"next":null}`,
}

func enterpriseKong(t *testing.T, answers map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := answers[r.URL.Path]; ok {
			_, _ = w.Write([]byte(body))
			return
		}
		if r.URL.Path == "/" || strings.Count(r.URL.Path, "/") == 1 {
			_, _ = w.Write([]byte(`{"data":[],"next":null}`))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReadStateReadsEnterpriseMemberships: against Enterprise, the members of each owned
// consumer group are read and nested on the owned consumers; a member that is not an owned
// consumer is someone else's membership and is not read as ours.
func TestReadStateReadsEnterpriseMemberships(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		answers := enterpriseAnswers
		if legacy { // 3.x releases before the paged answer
			answers = map[string]string{}
			for k, v := range enterpriseAnswers {
				answers[k] = v
			}
			answers["/consumer_groups/8f0e4f3c-0000-4000-8000-00000000g01d/consumers"] = `{"consumer_group":{"id":"8f0e4f3c-0000-4000-8000-00000000g01d","name":"gold"},"consumers":[` +
				`{"id":"c0000000-0000-4000-8000-0000000a11ce","username":"alice"}]}`
		}
		srv := enterpriseKong(t, answers)
		cl, err := Connect(t.Context(), Config{}, StaticEndpoints{srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if !cl.Enterprise() {
			t.Fatalf("version %q not read as Enterprise", cl.Nodes[0].Version)
		}
		s, _, err := ReadState(t.Context(), cl.Nodes[0].Client, ReadOptions{Tag: "managed-by-kongdb"})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.ConsumerGroups) != 1 || len(s.Consumers) != 1 {
			t.Fatalf("groups %d consumers %d", len(s.ConsumerGroups), len(s.Consumers))
		}
		g := s.Consumers[0].Groups
		if len(g) != 1 || *g[0].Name != "gold" || *g[0].ID != "8f0e4f3c-0000-4000-8000-00000000g01d" {
			t.Fatalf("legacy %v: alice's groups %+v", legacy, g)
		}
	}
}

func TestIsEnterpriseVersion(t *testing.T) {
	for v, want := range map[string]bool{"3.9.1": false, "3.9.0": false, "3.9.1.0": true, "3.9.1.0-enterprise-edition": true,
		"3.4.3.12": true, "": false} {
		if got := IsEnterpriseVersion(v); got != want {
			t.Errorf("IsEnterpriseVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
