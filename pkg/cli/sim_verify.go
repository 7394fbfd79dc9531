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
	// Timeout bounds the wait for every node to serve the sync.
	Timeout time.Duration

	factory Factory
}

// NewCmdSimVerify builds sim verify [NAME]: sync a fixture into the cluster through the sync
// command and print how long each node took to serve it. It lives here, not in sim, because it
// joins the simulator and the sync engine.
func NewCmdSimVerify(f Factory, so *SimOptions, runF func(*SimVerifyOptions) error) *cobra.Command {
	o := &SimVerifyOptions{SimOptions: so, Timeout: time.Minute, factory: f}
	return simVerb(so, "verify [NAME]", "Sync a bundled fixture into the cluster and print each node's convergence time", cobra.MaximumNArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "How long every proxy has to serve the sync before verify fails.")
		},
		func(ctx context.Context, rt sim.Runtime, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return o.Run(ctx, rt)
		})
}

// Run syncs the fixture with a fresh token and polls every proxy until it answers the token.
func (o *SimVerifyOptions) Run(ctx context.Context, rt sim.Runtime) error {
	c, err := rt.Get(ctx, o.Name)
	if err != nil {
		return err
	}
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
	sync := NewCmdSync(o.factory, o.IOStreams, nil)
	if sync.Flags().Lookup("wait") != nil {
		// sync's own convergence check, once it has one; the proxies are polled below either way.
		args = append(args, "--wait")
	}
	sync.SetArgs(args)
	sync.SilenceUsage, sync.SilenceErrors = true, true
	start := time.Now()
	if err := sync.ExecuteContext(ctx); err != nil {
		return fmt.Errorf("sync the fixture into cluster %q: %w", o.Name, err)
	}
	synced := time.Since(start)

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	took := make([]time.Duration, len(proxies))
	errs := make([]error, len(proxies))
	done := make(chan int)
	for i, n := range proxies {
		go func() {
			took[i], errs[i] = awaitToken(ctx, n.ProxyURL+verifyPath, token, start)
			done <- i
		}()
	}
	for range proxies {
		<-done
	}
	w := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "sync took %s\nMEMBER\tROLE\tCONVERGED\n", synced.Round(time.Millisecond))
	var failed []string
	for i, n := range proxies {
		if errs[i] != nil {
			fmt.Fprintf(w, "%s\t%s\tnot within %s: %v\n", n.Name, n.Role, o.Timeout, errs[i])
			failed = append(failed, n.Name)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", n.Name, n.Role, took[i].Round(time.Millisecond))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("cluster %q: %s did not serve the sync within %s", o.Name, strings.Join(failed, ", "), o.Timeout)
	}
	return nil
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
