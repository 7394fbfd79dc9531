package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kongdb/kubectl-kongdb/sim"
)

func TestSimUpFlags(t *testing.T) {
	t.Setenv("KONGDB_SIM_KONG_IMAGE", "kongdb/kong-emulator:3.9")
	t.Setenv("KONGDB_SIM_POSTGRES_IMAGE", "")
	envFile := filepath.Join(t.TempDir(), "kong.env")
	if err := os.WriteFile(envFile, []byte("# tuning\nKONG_LOG_LEVEL=debug\nKONG_DB_UPDATE_FREQUENCY=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    func(sim.Spec) bool
		wantErr string
	}{
		{"defaults: one traditional node, images from the environment or the official ones", nil, func(s sim.Spec) bool {
			return s.Name == "kongdb" && s.Mode == sim.Traditional && s.Nodes == 1 && s.KongImage == "kongdb/kong-emulator:3.9" &&
				s.PostgresImage == "postgres:16-alpine" && s.Pull == sim.PullMissing && len(s.KongEnv) == 0
		}, ""},
		{"hybrid with mixed images and env; --kong-env wins over the file", []string{"--name", "hy", "--mode", "hybrid", "--control-planes", "2", "--data-planes", "3",
			"--dp-image", "kong:3.8", "--env-file", envFile, "--kong-env", "KONG_LOG_LEVEL=info", "--pull", "never"}, func(s sim.Spec) bool {
			return s.Name == "hy" && s.Mode == sim.Hybrid && s.ControlPlanes == 2 && s.DataPlanes == 3 && s.DPImage == "kong:3.8" &&
				s.KongEnv["KONG_LOG_LEVEL"] == "info" && s.KongEnv["KONG_DB_UPDATE_FREQUENCY"] == "1" && s.Pull == sim.PullNever
		}, ""},
		{"nodes need traditional mode", []string{"--mode", "hybrid", "--nodes", "3"}, nil, "--nodes needs --mode traditional"},
		{"data planes need hybrid mode", []string{"--data-planes", "3"}, nil, "--control-planes and --data-planes need --mode hybrid"},
		{"bad pull policy", []string{"--pull", "sometimes"}, nil, "--pull must be always, missing or never"},
		{"bad env line", []string{"--kong-env", "nope"}, nil, `--kong-env line 1: "nope" is not KEY=VALUE`},
		{"unknown runtime", []string{"--runtime", "podman"}, nil, `--runtime must be auto, docker or local, got "podman"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			var got *SimUpOptions
			so := NewSimOptions(streams)
			cmd := &cobra.Command{Use: "sim"}
			cmd.PersistentFlags().StringVar(&so.Runtime, "runtime", so.Runtime, "")
			cmd.AddCommand(NewCmdSimUp(NewFactory(genericclioptions.NewConfigFlags(false), "kongdb"), so, func(o *SimUpOptions) error { got = o; return nil }))
			cmd.SetArgs(append([]string{"up"}, tt.args...))
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(got.Spec()) {
				t.Fatalf("spec %+v", got.Spec())
			}
		})
	}
}

func TestSimStatusRejectsUnknownOutput(t *testing.T) {
	err := printCluster(new(strings.Builder), &sim.Cluster{Name: "x"}, nil, "table")
	if err == nil || !strings.Contains(err.Error(), `--output must be json, yaml or wide, got "table"`) {
		t.Fatalf("got %v", err)
	}
}

// TestSimVerbsRejectAClusterNameOutsideTheStateRoot: a name such as "../.."
// is refused by every verb before any runtime opens, so that nothing (sim
// down's removal of the state directory above all) acts on a path outside
// the state root.
func TestSimVerbsRejectAClusterNameOutsideTheStateRoot(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	keep := filepath.Join(state, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"down", "../.."},
		{"status", "../.."},
		{"env", "../.."},
		{"verify", "../.."},
		{"logs", "node-1", "--name", "../.."},
		{"psql", "--name", "../.."},
		{"stop", "node-1", "--name", "../.."},
		{"kill", "node-1", "--name", "../.."},
		{"db", "down", "--name", "../.."},
		{"down", "a/b"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			so := NewSimOptions(streams)
			so.newRuntime = func(context.Context, string, string) (sim.Runtime, error) {
				t.Fatal("the runtime was opened for an invalid cluster name")
				return nil, nil
			}
			cmd := &cobra.Command{Use: "sim", SilenceErrors: true, SilenceUsage: true}
			cmd.PersistentFlags().StringVar(&so.Runtime, "runtime", so.Runtime, "")
			f := NewFactory(genericclioptions.NewConfigFlags(false), "kongdb")
			cmd.AddCommand(NewCmdSimVerify(f, so, nil), NewCmdSimStatus(so, nil), NewCmdSimEnv(so, nil),
				NewCmdSimLogs(so, nil), NewCmdSimDown(so, nil), NewCmdSimPsql(so, nil), NewCmdSimDB(so),
				NewCmdSimFault(so, sim.FaultStop, nil), NewCmdSimFault(so, sim.FaultKill, nil))
			cmd.SetArgs(args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), "is invalid: use 1-40 lowercase letters, digits or dashes") {
				t.Fatalf("got %v, want the cluster name refused", err)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Fatalf("a file outside the state root is gone: %v", err)
			}
		})
	}
}
