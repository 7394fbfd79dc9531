package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/internal/emutest"
	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/status/statustest"
)

func newStatusTestRoot(streams genericiooptions.IOStreams, runF func(*StatusOptions) error) *cobra.Command {
	f := &factory{configFlags: genericclioptions.NewConfigFlags(true), name: "kongdb"}
	root := &cobra.Command{Use: "kongdb", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.AddCommand(NewCmdStatus(f, streams, runF))
	return root
}

func TestStatusFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(*StatusOptions) bool
		wantErr string
	}{
		{name: "defaults: live view every 2s", want: func(o *StatusOptions) bool {
			return o.Refresh == 2*time.Second && o.Output == "" && !o.ExitCode
		}},
		{name: "all flags", args: []string{"--refresh", "5s", "-o", "wide", "--exit-code"}, want: func(o *StatusOptions) bool {
			return o.Refresh == 5*time.Second && o.Output == "wide" && o.ExitCode
		}},
		{name: "json", args: []string{"-o", "json"}, want: func(o *StatusOptions) bool { return o.Output == "json" }},
		{name: "yaml", args: []string{"-o", "yaml"}, want: func(o *StatusOptions) bool { return o.Output == "yaml" }},
		{name: "unknown output", args: []string{"-o", "deck"}, wantErr: `--output must be one of: wide, json, yaml (got "deck")`},
		{name: "refresh too short", args: []string{"--refresh", "0s"}, wantErr: "--refresh must be at least 100ms"},
		{name: "no arguments", args: []string{"extra"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KONG_ADMIN_URL", "http://127.0.0.1:8001")
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			var got *StatusOptions
			root := newStatusTestRoot(streams, func(o *StatusOptions) error { got = o; return nil })
			root.SetArgs(append([]string{"status"}, tt.args...))
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(got) {
				t.Errorf("options not as expected: %+v", got)
			}
		})
	}
}

// Without a Kong Admin API, status says which flag is missing.
func TestStatusNeedsKong(t *testing.T) {
	t.Setenv("KONG_ADMIN_URL", "")
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	root := newStatusTestRoot(streams, nil)
	root.SetArgs([]string{"status", "-o", "json"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "--kong-admin-url") {
		t.Errorf("error = %v, want it to name --kong-admin-url", err)
	}
	if out.Len() != 0 {
		t.Errorf("status printed data it does not have: %q", out.String())
	}
}

func fixed(r *status.Report) status.Collector {
	return status.CollectorFunc(func(context.Context) (*status.Report, error) { return r, nil })
}

func TestStatusRunPrintsOneObservationWhenNotATerminal(t *testing.T) {
	tests := []struct {
		name    string
		output  string
		wantOut []string
	}{
		{"table", "", []string{"DATA PLANE\tIP\t", "kong-dp-2\t10.0.1.12\t"}},
		{"wide", "wide", []string{"DATA PLANE\tIP\t", "\tID\n", "6d2f9b1a-0000-4000-8000-000000000002"}},
		{"yaml", "yaml", []string{"dataPlanes:", "  hostname: kong-dp-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, out, _ := genericiooptions.NewTestIOStreams()
			o := NewStatusOptions(streams)
			o.Output = tt.output
			if err := o.run(t.Context(), fixed(statustest.Hybrid())); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output misses %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestStatusRunJSONIsTheReport(t *testing.T) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	o := NewStatusOptions(streams)
	o.Output = "json"
	if err := o.run(t.Context(), fixed(statustest.Traditional())); err != nil {
		t.Fatal(err)
	}
	var got status.Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not a Report: %v", err)
	}
	if len(got.Nodes) != 3 || !got.Nodes[2].Down || got.Kong.Mode != status.ModeTraditional {
		t.Errorf("json output lost data: %+v", got)
	}
}

func TestStatusExitCode(t *testing.T) {
	inSync := statustest.Traditional()
	inSync.Nodes = inSync.Nodes[:1]
	tests := []struct {
		name     string
		report   *status.Report
		exitCode bool
		want     int
		wantErr  string
	}{
		{"drift with --exit-code", statustest.Hybrid(), true, ExitError, ""},
		{"node down with --exit-code", statustest.Traditional(), true, ExitError, ""},
		{"drift without --exit-code", statustest.Hybrid(), false, ExitOK, ""},
		{"in sync with --exit-code", inSync, true, ExitOK, ""},
		{"kubernetes unreachable with --exit-code", statustest.KongOnly(), true, ExitError, "cannot tell whether kong has drifted: Kubernetes could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			o := NewStatusOptions(streams)
			o.ExitCode = tt.exitCode
			err := o.run(t.Context(), fixed(tt.report))
			if got := ExitCode(err); got != tt.want {
				t.Errorf("exit code %d (err %v), want %d", got, err, tt.want)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrDiverged) && !isSilentError(err) {
				t.Errorf("ErrDiverged would be printed again after the output that shows the drift")
			}
		})
	}
}

func TestStatusRunCollectFailure(t *testing.T) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	o := NewStatusOptions(streams)
	c := status.CollectorFunc(func(context.Context) (*status.Report, error) {
		return nil, errors.New("read kubeconfig: no such file")
	})
	err := o.run(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), "status: read kubeconfig: no such file") {
		t.Fatalf("error = %v, want the collector's error wrapped", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed after a failed collect: %q", out.String())
	}
}

// With Kong's port closed, status still reads the manifests and says why there is no drift.
func TestStatusCollectKongDown(t *testing.T) {
	o := NewStatusOptions(genericiooptions.IOStreams{In: strings.NewReader("")})
	o.factory = NewFactory(genericclioptions.NewConfigFlags(true), "kongdb")
	o.Kong = KongFlags{URLs: []string{fmt.Sprintf("http://127.0.0.1:%d", emutest.FreePort(t))}, Timeout: 2 * time.Second, OwnershipTag: "managed-by-kongdb"}
	o.Source = SourceFlags{Filenames: []string{"testdata/translate/clean.yaml"}, IngressClass: "kong", GatewayClassController: "konghq.com/kic-gateway-controller", namespace: "default"}
	c, err := o.collector()
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kong.Reachable || r.Kong.Error == "" || !r.Source.Reachable || r.Drift != nil {
		t.Errorf("report = %+v, want Kong unreachable with its error, the source read, no drift", r)
	}
	if len(r.Nodes) != 1 || !r.Nodes[0].Down {
		t.Errorf("nodes = %+v, want the one node down", r.Nodes)
	}
	if why := r.DriftUnavailable(); !strings.Contains(why, "Kong could not be read") {
		t.Errorf("drift unavailable = %q, want it to say Kong could not be read", why)
	}
}
