package cli

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/sim/pki"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestTranslateNeverPrintsSecretsUnlessAsked runs translate on manifests holding every kind of
// secret value (credentials, a TLS private key, plugin config from Secrets, a vault token) and
// checks that no value reaches stdout or stderr in any format, and that --show-secrets prints
// them on stdout (never on stderr).
func TestTranslateNeverPrintsSecretsUnlessAsked(t *testing.T) {
	path, keyPEM := secretManifests(t)
	manifest, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read manifests: %v", err)
	}
	secrets := slices.Compact(slices.Sorted(slices.Values(regexp.MustCompile(`SECRET-[a-z0-9-]+`).FindAllString(string(manifest), -1))))
	if len(secrets) < 10 {
		t.Fatalf("found only %d secret values in the manifests: %q", len(secrets), secrets)
	}
	// What to look for, by the name a failure prints: the markers, and the private key as
	// printed (PEM) and as written in the manifest (base64), which a failure must not print.
	hidden := map[string]string{
		"the private key's PEM header": "PRIVATE KEY",
		"the private key's PEM body":   string(bytes.Split(keyPEM, []byte("\n"))[1]),
		"the private key in base64":    base64.StdEncoding.EncodeToString(keyPEM),
	}
	for _, s := range secrets {
		hidden[s] = s
	}

	for _, format := range []string{"deck", "yaml", "json"} {
		t.Run(format+" redacts by default", func(t *testing.T) {
			out, errOut := runTranslateCmd(t, "-f", path, "-o", format)
			for name, s := range hidden {
				if strings.Contains(out, s) {
					t.Errorf("stdout shows %s", name)
				}
				if strings.Contains(errOut, s) {
					t.Errorf("stderr shows %s", name)
				}
			}
			for _, public := range []string{"<redacted>", "BEGIN CERTIFICATE", "alice-public-key-is-public", "alice-client-id", "redis.shop", "vault.example.com"} {
				if !strings.Contains(out, public) {
					t.Errorf("stdout lacks %q", public)
				}
			}
			if again, _ := runTranslateCmd(t, "-f", path, "-o", format); again != out {
				t.Error("redacted output differs between two runs")
			}
		})
		t.Run(format+" --show-secrets prints them", func(t *testing.T) {
			out, errOut := runTranslateCmd(t, "-f", path, "-o", format, "--show-secrets")
			for _, s := range secrets {
				dropped := strings.HasPrefix(s, "SECRET-dropped-")
				if !dropped && !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q", s)
				}
				if strings.Contains(errOut, s) {
					t.Errorf("stderr shows %q", s)
				}
			}
			if !strings.Contains(out, "PRIVATE KEY") {
				t.Error("stdout lacks the private key")
			}
			if strings.Contains(out, "<redacted>") {
				t.Error("stdout still redacts")
			}
		})
	}
}

func runTranslateCmd(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	if code := Main(append([]string{"kongdb", "translate"}, args...), streams); code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "translated 1 services") || !strings.Contains(errOut.String(), "conflicting credential") {
		t.Fatalf("unexpected translation; stderr:\n%s", errOut)
	}
	return out.String(), errOut.String()
}

// secretManifests writes testdata/secrets/secrets.yaml with a key pair made for this run to a
// temporary file and returns its path and the key's PEM.
func secretManifests(t *testing.T) (string, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "secrets", "secrets.yaml"))
	if err != nil {
		t.Fatalf("read manifests: %v", err)
	}
	p, err := pki.SelfSigned(pki.Options{CommonName: "secure.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	crtPEM, keyPEM := p.CertPEM, p.KeyPEM
	data = bytes.ReplaceAll(data, []byte("__TLS_CRT__"), []byte(base64.StdEncoding.EncodeToString(crtPEM)))
	data = bytes.ReplaceAll(data, []byte("__TLS_KEY__"), []byte(base64.StdEncoding.EncodeToString(keyPEM)))
	path := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write manifests: %v", err)
	}
	return path, keyPEM
}
