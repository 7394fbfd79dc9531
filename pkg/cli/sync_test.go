package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func syncRoot(streams genericiooptions.IOStreams, runSync func(*SyncOptions) error, runDiff func(*DiffOptions) error) *cobra.Command {
	f := &factory{configFlags: genericclioptions.NewConfigFlags(true), name: "kongdb"}
	root := &cobra.Command{Use: "kongdb", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	f.configFlags.AddFlags(root.PersistentFlags())
	root.AddCommand(NewCmdSync(f, streams, runSync), NewCmdDiff(f, streams, runDiff))
	return root
}

func TestSyncFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(*SyncOptions) bool
		wantErr string
	}{
		{
			name: "defaults",
			args: []string{"-f", "x.yaml", "--kong-admin-url", "http://k:8001"},
			want: func(o *SyncOptions) bool {
				return o.Concurrency == 10 && o.MaxDelete == "30%" && !o.Prune && !o.Force && !o.DryRun &&
					o.Kong.OwnershipTag == "managed-by-kongdb" && o.Kong.Token == ""
			},
		},
		{
			name: "environment",
			env:  map[string]string{"KONG_ADMIN_URL": "http://a:8001,http://b:8001", "KONG_ADMIN_TOKEN": "t0k"},
			args: []string{"-f", "x.yaml"},
			want: func(o *SyncOptions) bool {
				return slices.Equal(o.Kong.URLs, []string{"http://a:8001", "http://b:8001"}) && o.Kong.Token == "t0k"
			},
		},
		{
			name: "every flag",
			args: []string{"-f", "x.yaml", "--kong-admin-url", "https://a:8444", "--kong-admin-url", "https://b:8444",
				"--kong-admin-token", "t", "--kong-admin-ca", "ca.pem", "--kong-admin-cert", "c.pem", "--kong-admin-key", "k.pem",
				"--kong-admin-header", "X-A: 1", "--workspace", "team", "--concurrency", "3", "--dry-run", "--prune",
				"--max-delete", "5", "--force", "-o", "json", "--ownership-tag", "managed-by-ingress-controller"},
			want: func(o *SyncOptions) bool {
				return len(o.Kong.URLs) == 2 && o.Kong.CACert == "ca.pem" && o.Kong.ClientKey == "k.pem" &&
					slices.Equal(o.Kong.Headers, []string{"X-A: 1"}) && o.Kong.Workspace == "team" && o.Concurrency == 3 &&
					o.DryRun && o.Prune && o.MaxDelete == "5" && o.Force && o.Output == "json"
			},
		},
		{
			name: "wait without a timeout",
			args: []string{"-f", "x.yaml", "--kong-admin-url", "http://k:8001", "--wait", "--kong-proxy-url", "http://k:8000", "--kong-proxy-url", "http://j:8000"},
			want: func(o *SyncOptions) bool {
				return o.Wait == defaultWait && slices.Equal(o.ProxyURLs, []string{"http://k:8000", "http://j:8000"})
			},
		},
		{
			name: "wait with a timeout",
			args: []string{"-f", "x.yaml", "--kong-admin-url", "http://k:8001", "--wait=45s"},
			want: func(o *SyncOptions) bool { return o.Wait.Seconds() == 45 },
		},
		{name: "wait on a dry run", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--wait", "--dry-run"}, wantErr: "a --dry-run writes nothing"},
		{
			name: "discovery",
			args: []string{"-f", "x.yaml", "--kong-admin-service", "kong/kong-admin", "--kong-proxy-service", "kong/kong-proxy", "--kong-access", "apiserver"},
			want: func(o *SyncOptions) bool {
				return o.Kong.AdminService == "kong/kong-admin" && o.Kong.ProxyService == "kong/kong-proxy" && o.Kong.Access == "apiserver"
			},
		},
		{name: "url and service", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--kong-admin-service", "a/b"}, wantErr: "cannot be used together"},
		{name: "bad service", args: []string{"-f", "x", "--kong-admin-service", "kong-admin"}, wantErr: `--kong-admin-service "kong-admin": want NAMESPACE/NAME`},
		{name: "bad access", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--kong-access", "vpn"}, wantErr: "want direct, apiserver or auto"},
		{name: "no kong", args: []string{"-f", "x"}, wantErr: "--kong-admin-url"},
		{name: "prune from a cluster", args: []string{"--kong-admin-url", "http://k", "--prune"}, wantErr: "--prune applies to -f/-k"},
		{name: "bad max-delete", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--max-delete", "lots"}, wantErr: "--max-delete"},
		{name: "cert without key", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--kong-admin-cert", "c"}, wantErr: "must be given together"},
		{name: "zero concurrency", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--concurrency", "0"}, wantErr: "--concurrency"},
		{name: "unbounded concurrency", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--concurrency", "100000"}, wantErr: "--concurrency must be between 1 and 64"},
		{
			name: "update status",
			args: []string{"--kong-admin-url", "http://k", "--update-status", "--publish-service", "kong/kong-proxy", "--gateway-class-controller-name", "example.com/gw"},
			want: func(o *SyncOptions) bool {
				return o.Status.UpdateStatus && o.Status.PublishService == "kong/kong-proxy" && o.Source.GatewayClassController == "example.com/gw"
			},
		},
		{name: "status off by default", args: []string{"--kong-admin-url", "http://k"}, want: func(o *SyncOptions) bool { return !o.Status.UpdateStatus }},
		{name: "update status from manifests", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--update-status"}, wantErr: "cannot be used with -f/-k"},
		{name: "update status on a dry run", args: []string{"--kong-admin-url", "http://k", "--update-status", "--dry-run"}, wantErr: "a --dry-run does nothing to write"},
		{name: "bad publish service", args: []string{"--kong-admin-url", "http://k", "--publish-service", "kong-proxy"}, wantErr: "want NAMESPACE/NAME"},
		{
			name: "watch",
			args: []string{"--kong-admin-url", "http://k", "--watch", "--debounce", "50ms", "--resync-period", "30s", "--leader-elect=false",
				"--health-probe-bind-address", ":8081", "--log-format", "json"},
			want: func(o *SyncOptions) bool {
				return o.Watch.Watch && o.Watch.Debounce.Milliseconds() == 50 && o.Watch.ResyncPeriod.Seconds() == 30 &&
					!o.Watch.LeaderElect && o.Watch.HealthAddr == ":8081" && o.Watch.LogFormat == "json"
			},
		},
		{name: "watch defaults", args: []string{"--kong-admin-url", "http://k", "--watch"},
			want: func(o *SyncOptions) bool {
				return o.Watch.LeaderElect && o.Watch.ResyncPeriod.Minutes() == 10 && o.Status.UpdateStatus
			}},
		{name: "watch without status", args: []string{"--kong-admin-url", "http://k", "--watch", "--update-status=false"},
			want: func(o *SyncOptions) bool { return o.Watch.Watch && !o.Status.UpdateStatus }},
		{name: "watch manifests", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--watch"}, wantErr: "manifests (-f/-k) have no changes to watch"},
		{name: "watch and wait", args: []string{"--kong-admin-url", "http://k", "--watch", "--wait"}, wantErr: "--wait is refused with --watch"},
		{name: "watch dry run", args: []string{"--kong-admin-url", "http://k", "--watch", "--dry-run"}, wantErr: "--dry-run writes nothing"},
		{name: "watch output", args: []string{"--kong-admin-url", "http://k", "--watch", "-o", "json"}, wantErr: "-o is refused"},
		{name: "debounce without watch", args: []string{"--kong-admin-url", "http://k", "--debounce", "1s"}, wantErr: "--debounce only applies with --watch"},
		{name: "empty ownership tag", args: []string{"-f", "x", "--kong-admin-url", "http://k", "--ownership-tag", ""}, wantErr: "--ownership-tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KONG_ADMIN_URL", tt.env["KONG_ADMIN_URL"])
			t.Setenv("KONG_ADMIN_TOKEN", tt.env["KONG_ADMIN_TOKEN"])
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			var got *SyncOptions
			root := syncRoot(streams, func(o *SyncOptions) error { got = o; return nil }, nil)
			root.SetArgs(append([]string{"sync"}, tt.args...))
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got == nil || !tt.want(got) {
				t.Fatalf("err %v, options %+v", err, got)
			}
		})
	}
}

func TestDiffErrorsExitAboveOne(t *testing.T) {
	t.Setenv("KONG_ADMIN_URL", "")
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	root := syncRoot(streams, nil, func(*DiffOptions) error { return nil })
	root.SetArgs([]string{"diff", "-f", "x"})
	if err := root.Execute(); ExitCode(err) != 2 {
		t.Fatalf("diff usage error: exit %d (%v), want 2", ExitCode(err), err)
	}
	if ExitCode(ErrDifferences) != 1 || ExitCode(nil) != 0 || ExitCode(diffFailed(errors.New("x"))) != 2 {
		t.Fatal("diff exit codes are not kubectl diff's")
	}
}
