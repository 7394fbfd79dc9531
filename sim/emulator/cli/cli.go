// Package cli holds the kong-emulator commands, named and flagged like
// Kong's own CLI (kong start|health|version|migrations), so scripts written
// for the official image run unchanged.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
		Short:         "Kong Gateway 3.9.3-compatible emulator on PostgreSQL",
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
	var runMigrations bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start Kong (the emulator) in the foreground",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			log := emulator.Logger(stderr, c.LogLevel)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
			defer stop()
			if runMigrations {
				pool, err := store.Pool(ctx, emulator.StoreOptions(c, ""))
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
	cmd.Flags().Bool("vv", false, "If true, log verbosely (accepted for compatibility).")
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
			raw, err := os.ReadFile(emulator.PIDFile(c))
			if err != nil {
				return fmt.Errorf("Kong is not running at %s", c.Prefix)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			if err != nil {
				return fmt.Errorf("read pid file %s: %w", emulator.PIDFile(c), err)
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				return fmt.Errorf("Kong is not running at %s: %w", c.Prefix, err)
			}
			for range 100 {
				if !Alive(pid) {
					fmt.Fprintln(stdout, "Kong stopped")
					return nil
				}
				time.Sleep(100 * time.Millisecond)
			}
			return fmt.Errorf("Kong at %s did not stop within 10s", c.Prefix)
		},
	}
	addConfFlags(cmd, g)
	return cmd
}

// Alive reports whether pid runs; an exited child its parent has not yet
// reaped (a zombie) counts as stopped. The simulator's local runtime asks the
// same of its nodes.
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// Format: pid (comm) state ...; comm may contain spaces, so look after ')'.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
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
	var yes bool
	var quiet bool
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
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			pool, err := store.Pool(ctx, emulator.StoreOptions(c, ""))
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
	cmd.Flags().BoolP("force", "f", false, "If true, run migrations even if database reports as already executed.")
	cmd.Flags().Int("db-timeout", 60, "Timeout, in seconds, for all database operations.")
	cmd.Flags().Int("lock-timeout", 60, "Timeout, in seconds, for nodes waiting on the leader node to finish running migrations.")
	_ = stderr
	return cmd
}
