package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
)

// kicConfig is shaped as KIC 3.5 translates an Ingress with a key-auth
// KongPlugin and a KongConsumer: upstream per Service port, k8s-* tags,
// KIC's names.
const kicConfig = `_format_version: "3.0"
services:
- name: default.echo.80
  host: echo.default.80.svc
  port: 80
  protocol: http
  path: /
  retries: 5
  connect_timeout: 60000
  read_timeout: 60000
  write_timeout: 60000
  tags: [k8s-name:echo, k8s-namespace:default, k8s-kind:Service, k8s-version:v1]
  routes:
  - name: default.echo.echo.80
    paths: [/echo]
    path_handling: v0
    preserve_host: true
    protocols: [http, https]
    strip_path: false
    regex_priority: 0
    https_redirect_status_code: 426
    request_buffering: true
    response_buffering: true
    tags: [k8s-name:echo, k8s-namespace:default, k8s-kind:Ingress, k8s-group:networking.k8s.io, k8s-version:v1]
    plugins:
    - name: key-auth
      config: {key_names: [apikey]}
      tags: [k8s-name:key-auth, k8s-namespace:default, k8s-kind:KongPlugin, k8s-group:configuration.konghq.com, k8s-version:v1]
upstreams:
- name: echo.default.80.svc
  algorithm: round-robin
  tags: [k8s-name:echo, k8s-namespace:default, k8s-kind:Service, k8s-version:v1]
  targets:
  - target: BACKEND
    weight: 100
consumers:
- username: default_alice
  tags: [k8s-name:alice, k8s-namespace:default, k8s-kind:KongConsumer, k8s-group:configuration.konghq.com, k8s-version:v1]
  keyauth_credentials: [{key: alice-key}]
`

// A decK-engine sync (go-database-reconciler v1.40.3) of a KIC-shaped
// configuration through the control plane ends with every data plane
// serving it: key-auth refuses a request without the key and passes one
// with it, through the upstream's target.
func TestGDRSyncThroughControlPlaneReachesEveryDataPlane(t *testing.T) {
	h := startControlPlane(t)
	dps := []*node{h.startDataPlane(t, "dp1", h.cert, h.keyPath), h.startDataPlane(t, "dp2", h.cert, h.keyPath)}
	be, err := url.Parse(backend(t))
	if err != nil {
		t.Fatal(err)
	}
	var content file.Content
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(kicConfig, "BACKEND", be.Host)), &content); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client, err := kong.NewClient(kong.String(h.cp.AdminURL), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := dump.Get(ctx, client, dump.Config{})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	current, err := state.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	targetRaw, err := file.Get(ctx, &content, file.RenderConfig{CurrentState: current,
		KongVersion: semver.MustParse("3.9.3")}, dump.Config{}, client)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	target, err := state.Get(targetRaw)
	if err != nil {
		t.Fatal(err)
	}
	syncer, err := diff.NewSyncer(diff.SyncerOpts{CurrentState: current, TargetState: target, KongClient: client,
		SilenceWarnings: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, errs, _ := syncer.Solve(ctx, 10, false, false); len(errs) > 0 {
		t.Fatalf("sync: %v", errs)
	}

	for _, dp := range dps {
		waitFor(t, 30*time.Second, dp.name+" serves the synced configuration", func() error {
			resp, err := http.Get(dp.ProxyURL + "/echo")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				return fmt.Errorf("without a key: %d, want 401", resp.StatusCode)
			}
			return proxied(dp, "/echo?apikey=alice-key")
		})
	}
	waitFor(t, 30*time.Second, "control plane reports both in sync", func() error {
		_, err := inSync(h, dps...)
		return err
	})
}
