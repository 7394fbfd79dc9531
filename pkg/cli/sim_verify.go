package cli

import (
	"context"
	"crypto/rand"
	_ "embed" // the verify fixture
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kongdb/kubectl-kongdb/sim"
)

// verifyFixture is what sim verify syncs: one route whose request-termination plugin answers
// RUN_TOKEN, replaced by a token of the run.
//
//go:embed sim_verify.yaml
var verifyFixture string

// verifyTag owns the fixture's entities, so no user's sync reads, updates or deletes them.
const verifyTag = "kongdb-sim-verify"

// verifyPath is the fixture's route.
const verifyPath = "/kongdb-sim-verify"

// SimVerifyOptions holds the flags of sim verify.
type SimVerifyOptions struct {
	*SimOptions
	// Timeout bounds the wait for every node to serve the sync, after the sync returned.
	Timeout time.Duration
	// Output is "" for a table, or json or yaml.
	Output string

	factory Factory
	// sync runs the sync command with args; tests replace it.
	sync func(ctx context.Context, args []string) error
}

// SimVerifyResult is what sim verify measured, as -o json|yaml prints it.
type SimVerifyResult struct {
	Cluster string `json:"cluster"`
	// SyncSeconds is the sync's time, its own --wait for every proxy included.
	SyncSeconds float64 `json:"syncSeconds"`
	// Members are the members with a proxy.
	Members []SimVerifyMember `json:"members"`
}

// SimVerifyMember is one member's convergence.
type SimVerifyMember struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// ConvergedSeconds is the time from the sync's start until the member's proxy served it;
	// absent when it did not within the timeout.
	ConvergedSeconds *float64 `json:"convergedSeconds,omitempty"`
	// Error is why it did not.
	Error string `json:"error,omitempty"`
}

// NewCmdSimVerify builds sim verify [NAME]: sync a fixture into the cluster through the sync
// command and print how long each node took to serve it. It lives here, not in sim, because it
// joins the simulator and the sync engine.
func NewCmdSimVerify(f Factory, so *SimOptions, runF func(*SimVerifyOptions) error) *cobra.Command {
	o := &SimVerifyOptions{SimOptions: so, Timeout: time.Minute, factory: f}
	return simVerb(so, "verify [NAME]", "Sync a bundled fixture into the cluster and print each node's convergence time", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "How long every proxy has to serve the sync, once it returned, before verify fails.")
			cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format. One of: (json, yaml).")
		},
		func(ctx context.Context, rt sim.Runtime, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return o.Run(ctx, rt)
		})
}

// Run syncs the fixture with a fresh token while polling every proxy, from the sync's start,
// until it answers the token; each member's time is from the sync's start to its first answer.
func (o *SimVerifyOptions) Run(ctx context.Context, rt sim.Runtime) error {
	if o.Output != "" && o.Output != "json" && o.Output != "yaml" {
		return fmt.Errorf("--output must be json or yaml, got %q", o.Output)
	}
	c, err := rt.Get(ctx, o.Name)
	if err != nil {
		return err
	}
	return o.verify(ctx, c)
}

func (o *SimVerifyOptions) verify(ctx context.Context, c *sim.Cluster) error {
	var admins []string
	var proxies []sim.Node
	for _, n := range c.Nodes {
		if n.AdminURL != "" {
			admins = append(admins, n.AdminURL)
		}
		if n.ProxyURL != "" {
			proxies = append(proxies, n)
		}
	}
	if len(admins) == 0 || len(proxies) == 0 {
		return fmt.Errorf("cluster %q has no running member with an Admin API and none with a proxy: see '%s sim status %s'", o.Name, o.factory.CommandName(), o.Name)
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kongdb-sim-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fixture := filepath.Join(dir, "fixture.yaml")
	if err := os.WriteFile(fixture, []byte(strings.ReplaceAll(verifyFixture, "RUN_TOKEN", token)), 0o600); err != nil {
		return err
	}

	args := []string{"-f", fixture, "--ownership-tag", verifyTag}
	for _, a := range admins {
		args = append(args, "--kong-admin-url", a)
	}
	// sync's own convergence check through every proxy (and, in hybrid mode, the control
	// plane's data-plane list); the proxies are polled here too, for each node's time.
	args = append(args, "--wait="+o.Timeout.String())
	for _, n := range proxies {
		args = append(args, "--kong-proxy-url", n.ProxyURL)
	}

	// The pollers start with the sync: a node may serve the token long before the sync's wait
	// has seen every node, and its time is when it did.
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	took := make([]time.Duration, len(proxies))
	errs := make([]error, len(proxies))
	var polling sync.WaitGroup
	start := time.Now()
	for i, n := range proxies {
		polling.Go(func() { took[i], errs[i] = awaitToken(pollCtx, n.ProxyURL+verifyPath, token, start) })
	}
	err = o.runSync(ctx, args)
	synced := time.Since(start)
	if err != nil {
		stopPolling()
		polling.Wait()
		return fmt.Errorf("sync the fixture into cluster %q: %w", o.Name, err)
	}
	deadline := time.AfterFunc(o.Timeout, stopPolling)
	defer deadline.Stop()
	polling.Wait()

	r := SimVerifyResult{Cluster: o.Name, SyncSeconds: synced.Seconds()}
	var failed []string
	for i, n := range proxies {
		m := SimVerifyMember{Name: n.Name, Role: string(n.Role)}
		if errs[i] != nil {
			m.Error = fmt.Sprintf("not within %s: %v", o.Timeout, errs[i])
			failed = append(failed, n.Name)
		} else {
			s := took[i].Seconds()
			m.ConvergedSeconds = &s
		}
		r.Members = append(r.Members, m)
	}
	if err := printVerify(o.Out, r, o.Output); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("cluster %q: %s did not serve the sync within %s", o.Name, strings.Join(failed, ", "), o.Timeout)
	}
	return nil
}

// runSync runs the sync command with args, or the test's replacement.
func (o *SimVerifyOptions) runSync(ctx context.Context, args []string) error {
	if o.sync != nil {
		return o.sync(ctx, args)
	}
	streams := o.IOStreams
	if o.Output != "" {
		// The data on stdout is verify's result; the sync's report goes with the progress.
		streams.Out = streams.ErrOut
	}
	cmd := NewCmdSync(o.factory, streams, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(ctx)
}

// printVerify prints r as a table, or as JSON or YAML.
func printVerify(w io.Writer, r SimVerifyResult, output string) error {
	if output != "" {
		return printData(w, r, output)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "sync took %s\nMEMBER\tROLE\tCONVERGED\n", seconds(r.SyncSeconds))
	for _, m := range r.Members {
		if m.ConvergedSeconds == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, m.Role, m.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, m.Role, seconds(*m.ConvergedSeconds))
	}
	return tw.Flush()
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

// awaitToken polls url until its body holds token, returning the time since start.
func awaitToken(ctx context.Context, url, token string, start time.Time) (time.Duration, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if resp, err := client.Do(req); err != nil {
			last = err.Error()
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), token) {
				return time.Since(start), nil
			}
			last = fmt.Sprintf("last answer %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s", last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// newToken is a random token that tells this run's sync from every earlier one.
func newToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "kongdb-sim-verify-" + hex.EncodeToString(b), nil
}
