package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func validateRoot(streams genericiooptions.IOStreams, runF func(*ValidateOptions) error) interface {
	SetArgs([]string)
	Execute() error
} {
	return newRootCmd("kongdb", streams, runSeams{validate: runF})
}

// TestValidateFlags: a Kong is optional (translation alone is checked without one), the Kong
// flags are diff's, and a usage error exits above 1 since 1 means problems.
func TestValidateFlags(t *testing.T) {
	t.Setenv("KONG_ADMIN_URL", "")
	for _, tc := range []struct {
		args     []string
		exit     int
		withKong bool
	}{
		{args: []string{"validate", "-f", "x"}},
		{args: []string{"validate", "-f", "x", "--kong-admin-url", "http://127.0.0.1:8001"}, withKong: true},
		{args: []string{"validate", "-f", "x", "-o", "table"}, exit: 2},
		{args: []string{"validate", "-f", "x", "--kong-admin-url", "http://k", "--kong-admin-service", "kong/admin"}, exit: 2},
		{args: []string{"validate", "-f", "x", "-k", "y"}, exit: 2},
	} {
		streams, _, _, _ := genericiooptions.NewTestIOStreams()
		var got *ValidateOptions
		root := validateRoot(streams, func(o *ValidateOptions) error { got = o; return nil })
		root.SetArgs(tc.args)
		err := root.Execute()
		if ExitCode(err) != tc.exit {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, ExitCode(err), err, tc.exit)
			continue
		}
		if tc.exit == 0 && got.withKong() != tc.withKong {
			t.Errorf("%v: with Kong %v, want %v", tc.args, got.withKong(), tc.withKong)
		}
	}
}

// TestValidateWithoutKongReportsTranslationProblems: without a Kong, a translation error is a
// problem on its object and field (exit 1), the note says only translation was checked, and
// valid manifests exit 0.
func TestValidateWithoutKongReportsTranslationProblems(t *testing.T) {
	t.Setenv("KONG_ADMIN_URL", "")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(testIngress), 0o600); err != nil {
		t.Fatal(err)
	}
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	root := validateRoot(streams, nil)
	root.SetArgs([]string{"validate", "-f", bad})
	err := root.Execute()
	if ExitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\nstdout:\n%s\nstderr:\n%s", ExitCode(err), err, out, errOut)
	}
	if !strings.Contains(out.String(), "Ingress default/web") || !strings.Contains(out.String(), "OBJECT") {
		t.Errorf("table does not name the plugin:\n%s", out)
	}
	if !strings.Contains(errOut.String(), "only translation was checked") {
		t.Errorf("no note that Kong was not asked:\n%s", errOut)
	}

	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(testIngress+testService), 0o600); err != nil {
		t.Fatal(err)
	}
	streams, _, out, _ = genericiooptions.NewTestIOStreams()
	root = validateRoot(streams, nil)
	root.SetArgs([]string{"validate", "-f", good, "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatalf("valid manifests: %v\n%s", err, out)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"problems": []`)) {
		t.Errorf("json output: %s", out)
	}
}

// testIngress routes to the Service testService declares: alone, it fails translation.
const testIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: kong
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
`

const testService = `---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{port: 80}]}
`
