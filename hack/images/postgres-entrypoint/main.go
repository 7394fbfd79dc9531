// Command postgres-entrypoint is the entrypoint of the locally built
// PostgreSQL image (hack/images/build.sh). It does what the official
// postgres image's docker-entrypoint.sh does, for a scratch image with no
// shell: on an empty PGDATA it runs initdb for POSTGRES_USER with
// POSTGRES_PASSWORD, creates POSTGRES_DB on a socket-only temporary server,
// then execs postgres listening on every address. So the "database system
// is ready to accept connections" line appears twice, as with the official
// image, and the same wait strategies work for both.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"postgres"}, args...)
	}
	if args[0] == "postgres" {
		pgdata := env("PGDATA", "/var/lib/postgresql/data")
		if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
			if err := initialise(pgdata); err != nil {
				return err
			}
		}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, args, os.Environ())
}

// initialise creates the cluster, the superuser and the database, as the
// official image does for a fresh volume.
func initialise(pgdata string) error {
	user := env("POSTGRES_USER", "postgres")
	db := env("POSTGRES_DB", user)
	password := os.Getenv("POSTGRES_PASSWORD")
	auth := env("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
	if password == "" && auth != "trust" {
		return errors.New("database is uninitialized and superuser password is not specified; " +
			"set POSTGRES_PASSWORD to a non-empty value, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password")
	}
	if err := os.MkdirAll(pgdata, 0o700); err != nil {
		return fmt.Errorf("create PGDATA %s: %w", pgdata, err)
	}
	pwfile, err := os.CreateTemp("", "pwfile-")
	if err != nil {
		return err
	}
	defer os.Remove(pwfile.Name())
	if _, err := pwfile.WriteString(password + "\n"); err != nil {
		return err
	}
	if err := pwfile.Close(); err != nil {
		return err
	}
	initdb := []string{"-D", pgdata, "--username=" + user, "-E", "UTF8", "--locale=C"}
	if password != "" {
		initdb = append(initdb, "--pwfile="+pwfile.Name())
	}
	initdb = append(initdb, strings.Fields(os.Getenv("POSTGRES_INITDB_ARGS"))...)
	if err := command("initdb", initdb...); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(pgdata, "pg_hba.conf"), fmt.Sprintf("\nhost all all all %s\n", auth)); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(pgdata, "postgresql.conf"), "\nlisten_addresses = '*'\n"); err != nil {
		return err
	}
	// A temporary server on the socket only, so no client sees the database before it is complete.
	if err := command("pg_ctl", "-D", pgdata, "-o", "-c listen_addresses=''", "-w", "start"); err != nil {
		return err
	}
	if db != "postgres" {
		if err := command("psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "--username", user, "--dbname", "postgres",
			"-c", fmt.Sprintf("CREATE DATABASE %q", db)); err != nil {
			return err
		}
	}
	if err := command("pg_ctl", "-D", pgdata, "-m", "fast", "-w", "stop"); err != nil {
		return err
	}
	fmt.Println("\nPostgreSQL init process complete; ready for start up.")
	return nil
}

func command(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
