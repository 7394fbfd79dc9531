package conformance

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	"github.com/kong/go-database-reconciler/pkg/diff"
	"github.com/kong/go-database-reconciler/pkg/dump"
	"github.com/kong/go-database-reconciler/pkg/file"
	"github.com/kong/go-database-reconciler/pkg/state"
	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"

	"github.com/kongdb/kubectl-kongdb/internal/pgtest"
)

// deckConfig is a realistic declarative configuration: services with
// routes, plugins on every level, consumers with every credential type,
// upstreams with targets, certificates with SNIs and CA certificates.
// The oauth2 credential spells out client_type and hash_secret: decK fills
// no defaults for credentials, so against real Kong too a file without them
// never converges.
const deckConfig = `_format_version: "3.0"
services:
- name: orders
  url: http://orders.internal:8080/api
  tags: [team-a]
  routes:
  - name: orders-public
    paths: [/orders]
    methods: [GET, POST]
    strip_path: false
    plugins:
    - name: rate-limiting
      config: {minute: 60, policy: local}
  - name: orders-admin
    hosts: [admin.example.com]
    paths: ["~/admin/\\d+$"]
    protocols: [https]
  plugins:
  - name: key-auth
    config: {key_names: [x-api-key]}
  - name: cors
    config: {origins: ["https://shop.example.com"], credentials: true}
- name: billing
  host: billing.internal
  port: 9000
  protocol: https
  retries: 3
  tls_verify: true
  ca_certificates: [CA_ID]
  routes:
  - name: billing
    paths: [/billing]
    headers: {x-tenant: [blue, green]}
    plugins:
    - name: request-transformer
      config: {add: {headers: ["x-from:kong"]}}
upstreams:
- name: orders.internal
  algorithm: least-connections
  healthchecks:
    active: {healthy: {interval: 5, successes: 2}, unhealthy: {interval: 5, http_failures: 3}}
  targets:
  - target: 10.0.0.1:8080
    weight: 100
  - target: 10.0.0.2:8080
    weight: 50
consumers:
- username: alice
  custom_id: alice-001
  keyauth_credentials: [{key: alice-key}]
  basicauth_credentials: [{username: alice, password: s3cret}]
  hmacauth_credentials: [{username: alice-hmac, secret: hmac-secret}]
  jwt_secrets: [{key: alice-jwt, secret: jwt-secret, algorithm: HS256}]
  acls: [{group: admins}, {group: users}]
  oauth2_credentials: [{name: alice-app, client_id: alice-client, client_secret: alice-secret, redirect_uris: ["https://app.example.com/cb"], client_type: confidential, hash_secret: false}]
  plugins:
  - name: request-termination
    config: {status_code: 403, message: blocked}
- username: bob
  acls: [{group: users}]
plugins:
- name: correlation-id
  config: {header_name: X-Request-ID}
- name: prometheus
certificates:
- id: 9a1d7e57-3c1a-4f6e-9f0e-2b8d8f3c4a01
  cert: |
CERT_PEM
  key: |
KEY_PEM
  snis: [{name: shop.example.com}, {name: "*.shop.example.com"}]
ca_certificates:
- id: CA_ID
  cert: |
CA_PEM
`

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = "    " + lines[i]
	}
	return strings.Join(lines, "\n")
}

// TestDeckEngineSyncConverges syncs deckConfig with decK's engine
// (go-database-reconciler v1.40.3), then checks that a second diff finds
// nothing to do and that a dump holds what the file declared.
func TestDeckEngineSyncConverges(t *testing.T) {
	e := startEmulator(t, pgtest.NewDatabase(t))
	cert, key := testCert(t, "shop.example.com", false)
	ca, _ := testCert(t, "Test CA", true)
	const caID = "3f7bc2a9-7a5b-4d0e-9b52-8b8f6f0f1c11"
	content := strings.NewReplacer("CERT_PEM", indent(cert), "KEY_PEM", indent(key), "CA_PEM", indent(ca),
		"CA_ID", caID).Replace(deckConfig)
	path := filepath.Join(t.TempDir(), "kong.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client, err := kong.NewClient(kong.String(e.AdminURL), nil)
	if err != nil {
		t.Fatalf("client: %v", err)
	}

	stats, errs := deckSync(ctx, t, client, path, false)
	if len(errs) > 0 {
		for _, err := range errs {
			t.Errorf("sync: %v", err)
		}
		t.FailNow()
	}
	if n := stats.CreateOps.Count(); n == 0 {
		t.Fatalf("first sync created nothing")
	}
	stats, errs = deckSync(ctx, t, client, path, true)
	if len(errs) > 0 {
		t.Fatalf("second diff: %v", errs)
	}
	if c, u, d := stats.CreateOps.Count(), stats.UpdateOps.Count(), stats.DeleteOps.Count(); c+u+d != 0 {
		t.Fatalf("second diff after sync: %d creates, %d updates, %d deletes; want none", c, u, d)
	}

	raw, err := dump.Get(ctx, client, dump.Config{})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	ks, err := state.Get(raw)
	if err != nil {
		t.Fatalf("dump state: %v", err)
	}
	dumped, err := file.KongStateToContent(ks, file.WriteConfig{KongVersion: "3.9.3", WithID: false})
	if err != nil {
		t.Fatalf("dump content: %v", err)
	}
	want, err := file.GetContentFromFiles([]string{path}, false)
	if err != nil {
		t.Fatalf("read file: %v", err)
	}
	if got, exp := summary(t, dumped), summary(t, want); got != exp {
		t.Fatalf("dump differs from input:\n got: %s\nwant: %s", got, exp)
	}

	// A second revision updates, adds and deletes entities of every kind.
	revised := strings.NewReplacer(
		"config: {minute: 60, policy: local}", "config: {minute: 120, policy: local}",
		"- username: bob\n  acls: [{group: users}]\n", "",
		"  - target: 10.0.0.2:8080\n    weight: 50\n", "  - target: 10.0.0.3:8080\n    weight: 10\n",
		"  - name: orders-admin\n    hosts: [admin.example.com]\n    paths: [\"~/admin/\\\\d+$\"]\n    protocols: [https]\n", "",
		"acls: [{group: admins}, {group: users}]", "acls: [{group: admins}]",
		"- name: prometheus\n", "",
	).Replace(content)
	if revised == content {
		t.Fatal("revision changed nothing")
	}
	if err := os.WriteFile(path, []byte(revised), 0o600); err != nil {
		t.Fatal(err)
	}
	stats, errs = deckSync(ctx, t, client, path, false)
	if len(errs) > 0 {
		t.Fatalf("revision sync: %v", errs)
	}
	if stats.UpdateOps.Count() == 0 || stats.DeleteOps.Count() == 0 || stats.CreateOps.Count() == 0 {
		t.Fatalf("revision sync made %d creates, %d updates, %d deletes; want some of each",
			stats.CreateOps.Count(), stats.UpdateOps.Count(), stats.DeleteOps.Count())
	}
	stats, errs = deckSync(ctx, t, client, path, true)
	if len(errs) > 0 {
		t.Fatalf("diff after revision: %v", errs)
	}
	if c, u, d := stats.CreateOps.Count(), stats.UpdateOps.Count(), stats.DeleteOps.Count(); c+u+d != 0 {
		t.Fatalf("diff after revision: %d creates, %d updates, %d deletes; want none", c, u, d)
	}
	raw, err = dump.Get(ctx, client, dump.Config{})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	if ks, err = state.Get(raw); err != nil {
		t.Fatalf("dump state: %v", err)
	}
	if dumped, err = file.KongStateToContent(ks, file.WriteConfig{KongVersion: "3.9.3"}); err != nil {
		t.Fatalf("dump content: %v", err)
	}
	if want, err = file.GetContentFromFiles([]string{path}, false); err != nil {
		t.Fatalf("read file: %v", err)
	}
	if got, exp := summary(t, dumped), summary(t, want); got != exp {
		t.Fatalf("dump differs from the revised input:\n got: %s\nwant: %s", got, exp)
	}
}

func deckSync(ctx context.Context, t *testing.T, client *kong.Client, path string, dry bool) (diff.Stats, []error) {
	t.Helper()
	raw, err := dump.Get(ctx, client, dump.Config{})
	if err != nil {
		t.Fatalf("dump current state: %v", err)
	}
	current, err := state.Get(raw)
	if err != nil {
		t.Fatalf("current state: %v", err)
	}
	content, err := file.GetContentFromFiles([]string{path}, false)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	targetRaw, err := file.Get(ctx, content, file.RenderConfig{CurrentState: current,
		KongVersion: semver.MustParse("3.9.3")}, dump.Config{}, client)
	if err != nil {
		t.Fatalf("render target: %v", err)
	}
	target, err := state.Get(targetRaw)
	if err != nil {
		t.Fatalf("target state: %v", err)
	}
	syncer, err := diff.NewSyncer(diff.SyncerOpts{CurrentState: current, TargetState: target, KongClient: client,
		SilenceWarnings: true})
	if err != nil {
		t.Fatalf("syncer: %v", err)
	}
	stats, errs, _ := syncer.Solve(ctx, 10, dry, false)
	return stats, errs
}

// summary lists, per kind, the entities' identities and the settings the
// file declares, so a dump (with defaults filled) compares with the input.
func summary(t *testing.T, c *file.Content) string {
	t.Helper()
	var out []string
	add := func(kind string, v any) {
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %s: %v", kind, err)
		}
		out = append(out, kind+"="+strings.ReplaceAll(string(b), "\n", " "))
	}
	for _, s := range c.Services {
		var routes []string
		for _, r := range s.Routes {
			routes = append(routes, *r.Name)
		}
		sort.Strings(routes)
		add("service", []any{*s.Name, *s.Host, *s.Port, *s.Protocol, routes, len(s.Plugins)})
	}
	for _, u := range c.Upstreams {
		var targets []string
		for _, tg := range u.Targets {
			targets = append(targets, *tg.Target.Target)
		}
		sort.Strings(targets)
		add("upstream", []any{*u.Name, *u.Algorithm, targets})
	}
	for _, cons := range c.Consumers {
		var groups []string
		for _, a := range cons.ACLGroups {
			groups = append(groups, *a.Group)
		}
		sort.Strings(groups)
		add("consumer", []any{*cons.Username, len(cons.KeyAuths), len(cons.BasicAuths), len(cons.HMACAuths),
			len(cons.JWTAuths), len(cons.Oauth2Creds), groups, len(cons.Plugins)})
	}
	var plugins []string
	for _, p := range c.Plugins {
		plugins = append(plugins, *p.Name)
	}
	sort.Strings(plugins)
	add("global plugins", plugins)
	for _, cert := range c.Certificates {
		var names []string
		for _, s := range cert.SNIs {
			names = append(names, *s.Name)
		}
		sort.Strings(names)
		add("certificate", []any{strings.TrimSpace(*cert.Cert), names})
	}
	add("ca certificates", len(c.CACertificates))
	sort.Strings(out)
	return strings.Join(out, "\n")
}
