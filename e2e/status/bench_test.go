package status_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/sim"
	"github.com/kongdb/kubectl-kongdb/sim/simtest"
)

// BenchmarkStatusRefresh measures one refresh of status (one whole observation, printed as
// JSON) against a hybrid simulator cluster on PostgreSQL holding 10,000 owned entities
// (3,334 Ingresses of a service, a route and an upstream each) and 50 data planes: one real
// DP and 49 more registered in the CP's clustering_data_planes as DPs that ping it would be.
//
//	go test ./e2e/status -run '^$' -bench BenchmarkStatusRefresh -benchtime 5x
func BenchmarkStatusRefresh(b *testing.B) {
	const apps, extraDPs = 3334, 49
	rt := simtest.LocalRuntime(b)
	spec := simtest.Spec(sim.Hybrid)
	spec.ControlPlanes, spec.DataPlanes = 1, 1
	c, _ := simtest.Up(b, rt, spec)
	var admin string
	for _, n := range c.Nodes {
		if n.AdminURL != "" {
			admin = n.AdminURL
		}
	}
	var m strings.Builder
	m.WriteString("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: kong\nspec:\n  controller: ingress-controllers.konghq.com/kong\n")
	for i := range apps {
		fmt.Fprintf(&m, `---
apiVersion: v1
kind: Service
metadata: {name: app%[1]d, namespace: bench}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app%[1]d, namespace: bench}
spec:
  ingressClassName: kong
  rules:
  - host: app%[1]d.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app%[1]d, port: {number: 80}}}}]}
`, i)
	}
	file := filepath.Join(b.TempDir(), "apps.yaml")
	if err := os.WriteFile(file, []byte(m.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	flags := []string{"-f", file, "--kong-admin-url", admin, "--schema-cache-dir", b.TempDir()}
	if out, errOut, code := kongdb(b, append([]string{"sync", "--concurrency", "10", "--max-delete", "100%"}, flags...)...); code != 0 {
		b.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	insert := fmt.Sprintf(`INSERT INTO clustering_data_planes (id, hostname, ip, last_seen, config_hash, ttl, version, sync_status, updated_at)
		SELECT gen_random_uuid(), 'bench-dp-' || i, '10.0.0.' || i, now(), (SELECT config_hash FROM clustering_data_planes LIMIT 1),
		  now() + interval '1 day', '3.9.3', 'normal', now() FROM generate_series(1, %d) AS i`, extraDPs)
	var psqlOut, psqlErr bytes.Buffer
	if err := rt.Psql(b.Context(), spec.Name, []string{"-v", "ON_ERROR_STOP=1", "-c", insert}, nil, &psqlOut, &psqlErr); err != nil {
		b.Fatalf("register the extra data planes: %v: %s", err, psqlErr.String())
	}
	out, errOut, code := kongdb(b, append([]string{"status", "-o", "json"}, flags...)...)
	var r status.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		b.Fatalf("status before measuring: exit %d: %v\n%s", code, err, errOut)
	}
	if r.Drift == nil || r.Drift.Total().Desired < 10000 || r.Drift.Total().Drifted() != 0 || len(r.DataPlanes) != 1+extraDPs {
		b.Fatalf("status before measuring: drift %+v, %d data planes; want 10,000 desired entities in sync and %d DPs", r.Drift, len(r.DataPlanes), 1+extraDPs)
	}
	for b.Loop() {
		if _, errOut, code := kongdb(b, append([]string{"status", "-o", "json"}, flags...)...); code != 0 {
			b.Fatalf("status: exit %d: %s", code, errOut)
		}
	}
}
