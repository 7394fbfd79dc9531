// Package cli holds the kong-emulator commands, named and flagged like
// Kong's own CLI (kong start|health|version|migrations), so scripts written
// for the official image run unchanged.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kongdb/kubectl-kongdb/sim/emulator"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/config"
	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// ExitError carries a process exit code (Kong's codes for migrations list).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit " + strconv.Itoa(e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := NewRoot(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "Error:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "Error:", err)
	return 1
}

type globalFlags struct {
	conf   string
	prefix string
}

func (g *globalFlags) load() (*config.Config, error) {
	env := os.Environ()
	if g.prefix != "" {
		env = append(env, "KONG_PREFIX="+g.prefix)
	}
	return config.Load(g.conf, env)
}

// NewRoot builds the `kong` command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "kong",
		Short:         "Kong Gateway " + emulator.Version + "-compatible emulator on PostgreSQL",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newVersion(stdout), newStart(stderr), newDockerStart(stderr), newStop(stdout), newHealth(stdout), newMigrations(stdout, stderr))
	return root
}

func addConfFlags(cmd *cobra.Command, g *globalFlags) {
	cmd.Flags().StringVarP(&g.conf, "conf", "c", "", "Configuration file.")
	cmd.Flags().StringVarP(&g.prefix, "prefix", "p", "", "Override prefix directory.")
}

func newVersion(stdout io.Writer) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print Kong's version",
		RunE: func(*cobra.Command, []string) error {
			// Kong prints the bare version (kong/cmd/version.lua); -a adds
			// the dependencies, which for the emulator are the Go runtime.
			if all {
				fmt.Fprintf(stdout, "Kong: %s\nngx_lua: none (kong-emulator)\nnginx: none (kong-emulator)\nLua: %s\n",
					emulator.Version, runtime.Version())
				return nil
			}
			fmt.Fprintln(stdout, emulator.Version)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "If true, print the versions of all dependencies too.")
	return cmd
}

func newStart(stderr io.Writer) *cobra.Command {
	g := &globalFlags{}
	var runMigrations, vv bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start Kong (the emulator) in the foreground",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			if vv {
				c.LogLevel = "debug" // as Kong's --vv
			}
			log := emulator.Logger(stderr, c.LogLevel)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
			defer stop()
			if runMigrations {
				// Kong's start bounds its migrations by the defaults of the
				// migrations command's --db-timeout and --lock-timeout, not by
				// pg_timeout: another node may hold the migration lock a while.
				opts := emulator.StoreOptions(c, "")
				opts.Timeout, opts.LockTimeout = 60*time.Second, 60*time.Second
				pool, err := store.Pool(ctx, opts)
				if err != nil {
					return err
				}
				err = store.Bootstrap(ctx, pool, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
				if err == nil {
					err = store.Up(ctx, pool, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
				}
				pool.Close()
				if err != nil {
					return err
				}
			}
			node, err := emulator.NewNode(ctx, c, log)
			if err != nil {
				return err
			}
			addrs, err := node.Listen()
			if err != nil {
				return err
			}
			if err := writePID(c); err != nil {
				log.Warn("cannot write pid file", "error", err)
			}
			defer os.Remove(emulator.PIDFile(c))
			log.Info("admin API listening", "addresses", addrs)
			return node.Run(ctx)
		},
	}
	addConfFlags(cmd, g)
	cmd.Flags().BoolVar(&runMigrations, "run-migrations", false, "If true, run migrations before starting.")
	cmd.Flags().BoolVar(&vv, "vv", false, "If true, log at debug level, whatever log_level says.")
	return cmd
}

// newDockerStart is the official image's default command: start in the
// foreground as the container's main process.
func newDockerStart(stderr io.Writer) *cobra.Command {
	cmd := newStart(stderr)
	cmd.Use = "docker-start"
	cmd.Short = "Start Kong in the foreground, as the official image's default command does"
	return cmd
}

func writePID(c *config.Config) error {
	p := emulator.PIDFile(c)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

func newStop(stdout io.Writer) *cobra.Command {
	g := &globalFlags{}
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the node running in the prefix",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			pid, err := emulator.RunningPID(c)
			if err != nil {
				return err
			}
			if err := emulator.Terminate(pid); err != nil {
				return fmt.Errorf("stop kong (pid %d) at %s: %w", pid, c.Prefix, err)
			}
			for range 100 {
				if !emulator.ProcessAlive(pid) {
					fmt.Fprintln(stdout, "Kong stopped")
					return nil
				}
				time.Sleep(100 * time.Millisecond)
			}
			return fmt.Errorf("stop kong at %s: still running after 10s", c.Prefix)
		},
	}
	addConfFlags(cmd, g)
	return cmd
}

func newHealth(stdout io.Writer) *cobra.Command {
	g := &globalFlags{}
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check that the node is running",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			if err := emulator.Health(cmd.Context(), c); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "nginx.......running")
			fmt.Fprintf(stdout, "\nKong is healthy at %s\n", c.Prefix)
			return nil
		},
	}
	addConfFlags(cmd, g)
	return cmd
}

func newMigrations(stdout, stderr io.Writer) *cobra.Command {
	g := &globalFlags{}
	var yes, quiet, force bool
	var dbTimeout, lockTimeout int
	cmd := &cobra.Command{
		Use:       "migrations COMMAND",
		Short:     "Manage database schema migrations",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bootstrap", "up", "finish", "list", "reset", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			out := stdout
			if quiet {
				out = io.Discard
			}
			logf := func(f string, a ...any) { fmt.Fprintf(out, f+"\n", a...) }
			if force {
				fmt.Fprintln(stderr, "warning: --force has no effect: the emulator's migrations are idempotent and have no teardown phase")
			}
			opts := emulator.StoreOptions(c, "")
			// As Kong's migrations command: --db-timeout replaces pg_timeout, and
			// --lock-timeout bounds the wait for another node's migrations.
			opts.Timeout = time.Duration(dbTimeout) * time.Second
			opts.LockTimeout = time.Duration(lockTimeout) * time.Second
			ctx := cmd.Context()
			pool, err := store.Pool(ctx, opts)
			if err != nil {
				return err
			}
			defer pool.Close()
			return runMigrations(ctx, args[0], yes, pool, logf)
		},
	}
	addConfFlags(cmd, g)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "If true, assume \"yes\" to prompts and run non-interactively.")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "If true, suppress all output.")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Accepted for compatibility with Kong; it has no effect, since the emulator's migrations are idempotent.")
	cmd.Flags().IntVar(&dbTimeout, "db-timeout", 60, "Timeout, in seconds, for each database statement.")
	cmd.Flags().IntVar(&lockTimeout, "lock-timeout", 60, "Timeout, in seconds, for nodes waiting on the leader node to finish running migrations.")
	return cmd
}
