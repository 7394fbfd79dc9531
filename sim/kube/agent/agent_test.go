package agent

import (
	"testing"
)

func TestExpandReplacesKnownVariablesAsTheKubeletDoes(t *testing.T) {
	env := map[string]string{"POD_NAME": "web-1", "PORT": "3000"}
	for in, want := range map[string]string{
		"$(POD_NAME):$(PORT)": "web-1:3000",
		"$(UNKNOWN)":          "$(UNKNOWN)",
		"$$(POD_NAME)":        "$(POD_NAME)",
		"cost $5":             "cost $5",
		"trailing $":          "trailing $",
		"$(unclosed":          "$(unclosed",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEchoImagesAreRecognisedAtAnyTagAndRegistryTheSuiteUses(t *testing.T) {
	for image, want := range map[string]bool{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1":       true,
		"registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.3": true,
		"registry.k8s.io/gateway-api/echo-basic@sha256:abc":   true,
		"gcr.io/k8s-staging-gateway-api/echo-basic":           true,
		"docker.io/kongdb/echo:latest":                        true,
		"kongdb/echo:simkube":                                 true,
		"registry.k8s.io/coredns/coredns:v1.12.2":             false,
		"nginx:1.27":                false,
		"localhost:5000/echo-basic": false,
	} {
		if got := IsEcho(image); got != want {
			t.Errorf("IsEcho(%q) = %v, want %v", image, got, want)
		}
	}
	if !IsEcho("example.com/my/echo:1", "example.com/my/echo:2") {
		t.Error("an extra repository (KONGDB_SIM_ECHO_IMAGE) is not recognised")
	}
}

func TestEchoModesTheServerLacksAreRefused(t *testing.T) {
	r := &LocalRuntime{}
	if ok, why := r.Supports("registry.k8s.io/gateway-api/echo-basic:v1.5.1", map[string]string{"GRPC_ECHO_SERVER": "1"}); ok || why == "" {
		t.Errorf("a gRPC echo pod is accepted (%v, %q)", ok, why)
	}
	if ok, _ := r.Supports("registry.k8s.io/gateway-api/echo-basic:v1.5.1", map[string]string{"POD_NAME": "x"}); !ok {
		t.Error("a plain echo pod is refused")
	}
}

func TestMountPathsInValuesAreRewrittenToTheHost(t *testing.T) {
	mounts := []Mount{{Path: "/etc/secret-volume", HostPath: "/state/pods/u/volumes/secret-volume"}}
	for in, want := range map[string]string{
		"/etc/secret-volume/crt": "/state/pods/u/volumes/secret-volume/crt",
		"/etc/secret-volume":     "/state/pods/u/volumes/secret-volume",
		"/etc/secret-volumes/x":  "/etc/secret-volumes/x",
		"plain":                  "plain",
	} {
		if got := rewriteMounts(in, mounts); got != want {
			t.Errorf("rewriteMounts(%q) = %q, want %q", in, got, want)
		}
	}
}
