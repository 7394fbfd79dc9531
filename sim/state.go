package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/pki"
)

// State is what a cluster keeps on disk under StateDir: the spec it was made
// from, the database password and the hybrid certificate, reused when a
// cluster of the same name comes up again. Private files are 0600.
type State struct {
	Dir      string      `json:"-"`
	Spec     Spec        `json:"spec"`
	Runtime  string      `json:"runtime"`
	Created  time.Time   `json:"created"`
	Password string      `json:"-"`
	Cert     ClusterCert `json:"-"`

	// The local runtime's record: PostgreSQL's binaries and data directory,
	// and every process by member name ("db" included).
	PGBinDir  string              `json:"pgBinDir,omitempty"`
	DataDir   string              `json:"dataDir,omitempty"`
	Processes map[string]*Process `json:"processes,omitempty"`
}

// Process is one member run by the local runtime: its process, its own
// loopback address, and the link (a relay process) through which it reaches
// what it depends on, which a partition cuts.
type Process struct {
	Role     Role   `json:"role"`
	Index    int    `json:"index"`
	PID      int    `json:"pid"`
	Addr     string `json:"addr"`
	LinkPID  int    `json:"linkPid,omitempty"`
	LinkAddr string `json:"linkAddr,omitempty"`
	Cut      bool   `json:"cut,omitempty"`
}

// StateRoot is $XDG_STATE_HOME/kongdb/sim, or ~/.local/state/kongdb/sim.
func StateRoot() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "kongdb", "sim"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the state directory: set XDG_STATE_HOME: %w", err)
	}
	return filepath.Join(home, ".local", "state", "kongdb", "sim"), nil
}

// StateDir is the directory of cluster name. The name is checked here, where
// it becomes a path, so that no caller (load, save, remove) can reach
// outside the state root with a name such as "../..".
func StateDir(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	root, err := StateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

const (
	stateFile    = "cluster.json"
	passwordFile = "pg-password"
	certFile     = "cluster.crt"
	keyFile      = "cluster.key"
)

// PrepareState loads the state of cluster spec.Name, or makes a new one with
// a random database password and a fresh cluster certificate (pki.ClusterCert);
// the spec is replaced by the new one either way.
func PrepareState(spec Spec, runtime string) (*State, error) {
	dir, err := StateDir(spec.Name)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(spec.Name)
	if errors.Is(err, ErrNotFound) {
		st = &State{Dir: dir}
		buf := make([]byte, 12)
		_, _ = rand.Read(buf)
		st.Password = hex.EncodeToString(buf)
		pair, err := pki.ClusterCert()
		if err != nil {
			return nil, fmt.Errorf("cluster %q: make the cluster certificate: %w", spec.Name, err)
		}
		st.Cert = ClusterCert{CertPEM: pair.CertPEM, KeyPEM: pair.KeyPEM}
	} else if err != nil {
		return nil, err
	}
	st.Spec, st.Runtime, st.Created = spec, runtime, time.Now().UTC()
	return st, st.Save()
}

// Save writes the state.
func (st *State) Save() error {
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return fmt.Errorf("cluster %q: create state directory: %w", st.Spec.Name, err)
	}
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		stateFile: raw, passwordFile: []byte(st.Password), certFile: st.Cert.CertPEM, keyFile: st.Cert.KeyPEM,
	} {
		if err := os.WriteFile(filepath.Join(st.Dir, name), data, 0o600); err != nil {
			return fmt.Errorf("cluster %q: write state: %w", st.Spec.Name, err)
		}
	}
	return nil
}

// LoadState reads the state of cluster name; ErrNotFound when there is none.
func LoadState(name string) (*State, error) {
	dir, err := StateDir(name)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cluster %q has no state in %s: %w", name, dir, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster %q: read state: %w", name, err)
	}
	st := &State{Dir: dir}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("cluster %q: parse %s: %w", name, filepath.Join(dir, stateFile), err)
	}
	read := func(f string) []byte {
		b, rerr := os.ReadFile(filepath.Join(dir, f))
		if rerr != nil && err == nil {
			err = fmt.Errorf("cluster %q: read state: %w", name, rerr)
		}
		return b
	}
	st.Password = string(read(passwordFile))
	st.Cert = ClusterCert{CertPEM: read(certFile), KeyPEM: read(keyFile)}
	return st, err
}

// RemoveState deletes the cluster's state directory.
func RemoveState(name string) error {
	dir, err := StateDir(name)
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
