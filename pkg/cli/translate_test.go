package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"
)

func TestTranslateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(*TranslateOptions) bool
		wantErr string
	}{
		{
			name: "defaults are KIC's",
			args: []string{"-f", "x.yaml"},
			want: func(o *TranslateOptions) bool {
				return o.IngressClass == "kong" && o.GatewayClassController == "konghq.com/kic-gateway-controller" &&
					o.OwnershipTag == "managed-by-kongdb" && o.Output == "deck" && !o.Strict && o.namespace == "default" &&
					!o.CombinedServices && !o.ShowSecrets
			},
		},
		{
			name: "manifest flags",
			args: []string{"-f", "a.yaml,b/", "-f", "-", "-R", "-l", "app=x", "-n", "shop", "-o", "json", "--strict",
				"--ingress-class", "internal", "--gateway-class-controller", "example.com/gw", "--ownership-tag", "managed-by-ingress-controller",
				"--combined-services-from-different-httproutes", "--show-secrets"},
			want: func(o *TranslateOptions) bool {
				return slices.Equal(o.Filenames, []string{"a.yaml", "b/", "-"}) && o.Recursive && o.Selector == "app=x" &&
					o.namespace == "shop" && o.Output == "json" && o.Strict && o.IngressClass == "internal" &&
					o.GatewayClassController == "example.com/gw" && o.OwnershipTag == "managed-by-ingress-controller" &&
					o.CombinedServices && o.ShowSecrets
			},
		},
		{
			name: "kustomize",
			args: []string{"-k", "overlay"},
			want: func(o *TranslateOptions) bool { return o.Kustomize == "overlay" },
		},
		{name: "unknown output", args: []string{"-f", "x", "-o", "table"}, wantErr: "--output must be one of"},
		{name: "-f with -k", args: []string{"-f", "x", "-k", "y"}, wantErr: "-f and -k cannot be used together"},
		{name: "-A with manifests", args: []string{"-f", "x", "-A"}, wantErr: "-A reads a cluster"},
		{name: "-A with -n", args: []string{"-A", "-n", "x"}, wantErr: "-A and -n cannot be used together"},
		{name: "-R alone", args: []string{"-R", "-k", "x"}, wantErr: "-R needs -f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			var got *TranslateOptions
			root := newTestRoot(streams, func(o *TranslateOptions) error { got = o; return nil })
			root.SetArgs(append([]string{"translate"}, tt.args...))
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "See '") {
					t.Errorf("usage error %q lacks the help hint", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("execute: %v", err)
			}
			if got == nil || !tt.want(got) {
				t.Errorf("options = %+v", got)
			}
		})
	}
}

// newTestRoot builds the binary's root command, whose translate stops at runF.
func newTestRoot(streams genericiooptions.IOStreams, runF func(*TranslateOptions) error) *cobra.Command {
	return newRootCmd("kongdb", streams, runSeams{translate: runF})
}

func TestTranslateRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantOut    []string
		wantErrOut []string
	}{
		{
			name:     "clean manifests print decK content and exit 0",
			args:     []string{"-f", "testdata/translate/clean.yaml"},
			wantCode: ExitOK,
			wantOut: []string{`_format_version: "3.0"`, "name: shop.echo.80", "name: shop.cart.echo.shop.example.com.80",
				"- managed-by-kongdb"},
			wantErrOut: []string{"translated 1 services, 1 routes"},
		},
		{
			name:       "a missing backend is a diagnostic, not a failure, without --strict",
			args:       []string{"-f", "testdata/translate/", "-o", "yaml"},
			wantCode:   ExitOK,
			wantErrOut: []string{"Ingress shop/orphan", "missing"},
		},
		{
			name:       "--strict exits 2 when objects were left out",
			args:       []string{"-f", "testdata/translate/", "--strict"},
			wantCode:   ExitPartial,
			wantErrOut: []string{"Ingress shop/orphan"},
		},
		{
			name:       "stdin",
			args:       []string{"-f", "-", "--ownership-tag", "managed-by-ingress-controller"},
			stdin:      "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
			wantCode:   ExitOK,
			wantOut:    []string{"managed-by-ingress-controller"},
			wantErrOut: []string{"translated 0 services"},
		},
		{
			name:       "a missing file is an error",
			args:       []string{"-f", "testdata/translate/nope.yaml"},
			wantCode:   ExitError,
			wantErrOut: []string{"error:", "nope.yaml"},
		},
		{
			name:       "a bad flag is an error",
			args:       []string{"-o", "table", "-f", "x"},
			wantCode:   ExitError,
			wantErrOut: []string{"--output must be one of"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, in, out, errOut := genericiooptions.NewTestIOStreams()
			in.WriteString(tt.stdin)
			code := Main(append([]string{"kongdb", "translate"}, tt.args...), streams)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErrOut {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the current output")

// TestTranslateOutputMatchesGolden checks what each -o format prints, byte for byte: deck is
// decK's declarative file, yaml and json are kongdb's own state shape. Each output must also
// parse as its format. -update rewrites the goldens for review.
func TestTranslateOutputMatchesGolden(t *testing.T) {
	for _, format := range []string{"deck", "yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			streams, _, out, errOut := genericiooptions.NewTestIOStreams()
			code := Main([]string{"kongdb", "translate", "-f", "testdata/translate/clean.yaml", "-o", format}, streams)
			if code != ExitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, errOut)
			}
			var doc map[string]any
			var err error
			if format == "json" {
				err = json.Unmarshal(out.Bytes(), &doc)
			} else {
				err = yaml.Unmarshal(out.Bytes(), &doc)
			}
			if err != nil || len(doc) == 0 {
				t.Fatalf("output is not a %s document (%v):\n%s", format, err, out)
			}
			golden := filepath.Join("testdata", "golden", "translate-clean."+format)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatalf("update %s: %v", golden, err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden %s (run with -update to create it): %v", golden, err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("-o %s differs from %s:\ngot:\n%s\nwant:\n%s", format, golden, out, want)
			}
		})
	}
}
