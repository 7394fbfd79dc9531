package stack_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// TestStack: examples/ applied with kubectl and synced by `kubectl kongdb sync` into three
// traditional nodes and into a control plane with two data planes (the two clusters come up
// in parallel); every node's proxy serves what the manifests say; a changed Ingress and a
// deleted one reach every node; then the faults of each topology, on the same cluster.
func TestStack(t *testing.T) {
	for _, mode := range []sim.Mode{sim.Traditional, sim.Hybrid} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, mode)
			s.sync(t)
			t.Run("every node serves the examples", func(t *testing.T) {
				for _, p := range s.proxies {
					servesExamples(t, p, s.echoIP)
				}
			})
			t.Run("sim verify prints each node's convergence time", func(t *testing.T) {
				r := s.kubectl(t, 0, "kongdb", "sim", "verify", s.cluster.Name)
				t.Logf("sim verify:\n%s", r.stdout)
				for _, n := range s.cluster.Nodes {
					if n.ProxyURL == "" {
						continue
					}
					if !regexp.MustCompile(`(?m)^` + n.Name + `\s+` + string(n.Role) + `\s+[0-9.]+m?s$`).MatchString(r.stdout) {
						t.Errorf("no convergence time for %s:\n%s", n.Name, r.stdout)
					}
				}
				// Its own ownership tag: the next sync of the namespace does not delete it.
				s.sync(t)
				for _, p := range s.proxies {
					if a := get(p, "any.example.com", "/kongdb-sim-verify"); a.code != http.StatusOK {
						t.Errorf("%s: the verify route answers %d after a sync of the namespace", p, a.code)
					}
				}
			})
			t.Run("sim verify of a cluster that does not exist says so", func(t *testing.T) {
				r := s.kubectl(t, 1, "kongdb", "sim", "verify", "no-such-cluster", "--runtime", "docker")
				if !strings.Contains(r.stderr, `"no-such-cluster"`) || strings.Contains(r.stdout, "CONVERGED") {
					t.Fatalf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
				}
			})
			t.Run("an Ingress changed in Kubernetes is served by every node", func(t *testing.T) {
				s.kubectl(t, 0, "patch", "ingress", "echo", "--type=json",
					"-p", `[{"op":"replace","path":"/spec/rules/0/http/paths/0/path","value":"/changed"}]`)
				s.sync(t)
				for _, p := range s.proxies {
					serves(t, p, "echo.example.com", "/changed/hello", http.StatusOK, "/hello")
					serves(t, p, "echo.example.com", "/echo/hello", http.StatusNotFound, "")
				}
			})
			t.Run("objects deleted in Kubernetes are gone from every node", func(t *testing.T) {
				s.kubectl(t, 0, "delete", "ingress", "orders")
				s.kubectl(t, 0, "delete", "httproute", "echo")
				s.sync(t)
				for _, p := range s.proxies {
					serves(t, p, "echo.example.com", "/orders/42", http.StatusNotFound, "")
					serves(t, p, "gateway.example.com", "/gw/x", http.StatusNotFound, "")
					serves(t, p, "echo.example.com", "/changed/hello", http.StatusOK, "/hello")
				}
			})
			if mode == sim.Traditional {
				t.Run("a node killed mid-sync: the sync completes through another", s.nodeKilledMidSync)
				t.Run("PostgreSQL down: sync fails and reports no success; recovery converges", s.databaseDown)
				return
			}
			t.Run("control plane down: data planes serve; sync fails clearly; the next one converges", s.controlPlaneDown)
			t.Run("a data plane partitioned from the control plane is shown behind and catches up after heal", s.dataPlanePartitioned)
			t.Run("PostgreSQL down: sync fails and reports no success; recovery converges", s.databaseDown)
		})
	}
}

// servesExamples checks, through one proxy, every behaviour examples/README.md promises.
func servesExamples(t *testing.T, proxy, echoIP string) {
	t.Helper()
	const host = "echo.example.com"
	if a := serves(t, proxy, host, "/echo/hello", http.StatusOK, "/hello"); a.seen.Host != host {
		t.Errorf("%s: preserve_host is on, yet the backend saw Host %q", proxy, a.seen.Host)
	}
	if a := serves(t, proxy, "upstream.example.com", "/anything", http.StatusOK, "/anything"); a.seen.Host != echoIP+":8080" {
		t.Errorf("%s: preserve_host off: the backend saw Host %q, want the target %s:8080", proxy, a.seen.Host, echoIP)
	}
	serves(t, proxy, host, "/orders/42", http.StatusOK, "/orders/42")
	serves(t, proxy, host, "/orders/abc", http.StatusNotFound, "")
	serves(t, proxy, "nowhere.example.com", "/echo/hello", http.StatusNotFound, "")
	serves(t, proxy, host, "/admin", http.StatusUnauthorized, "")
	serves(t, proxy, host, "/admin", http.StatusUnauthorized, "", "apikey: not-a-key")
	serves(t, proxy, host, "/admin", http.StatusForbidden, "", "apikey: bob-demo-key")
	serves(t, proxy, host, "/admin/x", http.StatusOK, "/admin/x", "apikey: alice-demo-key")
	serves(t, proxy, "gateway.example.com", "/gw/x", http.StatusOK, "/gw/x")
	// Five a minute per node: a dozen requests meet a 429 even if a new minute starts among them.
	var codes []int
	for range 12 {
		a := get(proxy, host, "/limited")
		codes = append(codes, a.code)
		if a.code == http.StatusTooManyRequests {
			break
		}
	}
	last := len(codes) - 1
	for i, c := range codes {
		if (i < last) != (c == http.StatusOK) || i == last && c != http.StatusTooManyRequests {
			t.Errorf("%s: /limited answered %v, want 200s then 429", proxy, codes)
			break
		}
	}
}

// apply writes manifests into the stack's namespace with kubectl.
func (s *stack) apply(t *testing.T, manifests string) {
	t.Helper()
	f := filepath.Join(tempDir(t), "manifests.yaml")
	if err := os.WriteFile(f, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	s.kubectl(t, 0, "apply", "-f", f)
}

// ingress is an Ingress named name routing echo.example.com/path (prefix) to the echo Service.
func ingress(name, path string) string {
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
spec:
  ingressClassName: kong
  rules:
  - host: echo.example.com
    http:
      paths:
      - path: %s
        pathType: Prefix
        backend:
          service:
            name: echo
            port:
              number: 80
`, name, path)
}

// ingresses is n Ingresses bulk-0 … bulk-<n-1> in one manifest.
func ingresses(n int) string {
	docs := make([]string, n)
	for i := range docs {
		docs[i] = ingress(fmt.Sprintf("bulk-%d", i), fmt.Sprintf("/bulk-%d", i))
	}
	return strings.Join(docs, "---\n")
}
