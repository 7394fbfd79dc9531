package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// Kong's exit codes for `kong migrations list` (kong/cmd/migrations.lua).
const (
	exitNeedsBootstrap = 3
	exitNewMigrations  = 5 // 4 (pending) never happens: the emulator has no teardown phases
)

func runMigrations(ctx context.Context, sub string, yes bool, pool *pgxpool.Pool, logf store.Logf) error {
	switch sub {
	case "bootstrap":
		return store.Bootstrap(ctx, pool, logf)
	case "up":
		return store.Up(ctx, pool, logf)
	case "finish":
		st, err := store.SchemaState(ctx, pool)
		if err != nil {
			return err
		}
		if st.NeedsBootstrap {
			//lint:ignore ST1005 Kong's own message, which scripts match
			return &ExitError{Code: 1, Err: errors.New("Database needs bootstrapping; run 'kong migrations bootstrap'")}
		}
		logf("No pending migrations to finish")
		return nil
	case "list":
		st, err := store.SchemaState(ctx, pool)
		if err != nil {
			return err
		}
		if st.NeedsBootstrap {
			logf("Database needs bootstrapping or is older than Kong 1.0.\n\nTo start a new installation from scratch, run 'kong migrations bootstrap'.")
			return &ExitError{Code: exitNeedsBootstrap}
		}
		if len(st.Executed) > 0 {
			logf("Executed migrations:\n%s", st.Format(st.Executed))
		}
		if len(st.New) > 0 {
			logf("\nNew migrations available:\n%s", st.Format(st.New))
			logf("\nRun 'kong migrations up' to proceed")
			return &ExitError{Code: exitNewMigrations}
		}
		return nil
	case "status":
		st, err := store.SchemaState(ctx, pool)
		if err != nil {
			return err
		}
		logf("%s", fmt.Sprintf(`{"needs_bootstrap":%t}`, st.NeedsBootstrap))
		return nil
	case "reset":
		if !yes {
			return errors.New("not a tty: invoke 'reset' non-interactively with the --yes flag")
		}
		return store.Reset(ctx, pool)
	default:
		return fmt.Errorf("no such migrations command: %s", sub)
	}
}
