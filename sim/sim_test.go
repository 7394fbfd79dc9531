package sim

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecValidateNamesTheBadField(t *testing.T) {
	ok := Spec{Name: "dev", Mode: Traditional, Nodes: 3, KongImage: "kong:3.9", PostgresImage: "postgres:16-alpine", Pull: PullMissing}
	tests := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"valid", func(*Spec) {}, ""},
		{"bad name", func(s *Spec) { s.Name = "Dev_1" }, `cluster name "Dev_1" is invalid`},
		{"no nodes", func(s *Spec) { s.Nodes = 0 }, "--nodes must be at least 1"},
		{"hybrid without control plane", func(s *Spec) { s.Mode = Hybrid }, "--control-planes must be at least 1"},
		{"unknown mode", func(s *Spec) { s.Mode = "dbless" }, `--mode must be traditional or hybrid, got "dbless"`},
		{"unknown pull", func(s *Spec) { s.Pull = "sometimes" }, `--pull must be always, missing or never`},
		{"non-Kong env", func(s *Spec) { s.KongEnv = map[string]string{"PATH": "/"} }, "--kong-env PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestMembersAndKongEnvFollowTheOfficialImagesSettings(t *testing.T) {
	spec := Spec{Name: "hy", Mode: Hybrid, ControlPlanes: 1, DataPlanes: 2, KongImage: "kong:3.9", DPImage: "kong:3.8",
		KongEnv: map[string]string{"KONG_LOG_LEVEL": "debug", "KONG_ROLE": "control_plane"}}
	ms := spec.Members()
	var names []string
	for _, m := range ms {
		names = append(names, m.Name+"@"+m.Image)
	}
	if got := strings.Join(names, " "); got != "cp-1@kong:3.9 dp-1@kong:3.8 dp-2@kong:3.8" {
		t.Fatalf("members %s", got)
	}
	db := DBConn{Host: "db", Port: 5432, User: "kong", Password: "pw", Database: "kong"}
	cert := ClusterCert{CertPEM: []byte("CERT"), KeyPEM: []byte("KEY")}
	cp := KongEnv(&spec, ms[0], db, "kong-cp:8005", cert)
	if cp["KONG_ROLE"] != "control_plane" || cp["KONG_DATABASE"] != "postgres" || cp["KONG_PG_PASSWORD"] != "pw" || cp["KONG_CLUSTER_CERT"] != "CERT" || cp["KONG_LOG_LEVEL"] != "debug" {
		t.Errorf("control plane env %v", cp)
	}
	dp := KongEnv(&spec, ms[1], db, "kong-cp:8005", cert)
	if dp["KONG_DATABASE"] != "off" || dp["KONG_CLUSTER_CONTROL_PLANE"] != "kong-cp:8005" || dp["KONG_CLUSTER_CERT_KEY"] != "KEY" || dp["KONG_PG_PASSWORD"] != "" {
		t.Errorf("data plane env %v", dp)
	}
	if dp["KONG_ROLE"] != "control_plane" {
		t.Errorf("the user's KONG_ROLE must win, as --kong-env promises; got %q", dp["KONG_ROLE"])
	}
}

func TestParseEnvSkipsCommentsAndRejectsBadLines(t *testing.T) {
	env := map[string]string{}
	if err := ParseEnv([]string{"# c", "", "KONG_A=1=2", " KONG_B= x "}, env, "f"); err != nil {
		t.Fatal(err)
	}
	if env["KONG_A"] != "1=2" || env["KONG_B"] != " x" {
		t.Fatalf("env %q", env)
	}
	if err := ParseEnv([]string{"KONG_A=1", "oops"}, env, "--env-file x"); err == nil || !strings.Contains(err.Error(), "--env-file x line 2") {
		t.Fatalf("got %v", err)
	}
}

func TestStateKeepsPasswordAndCertificateAcrossUps(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	spec := Spec{Name: "keep", Mode: Traditional, Nodes: 1}
	if _, err := LoadState("keep"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before up: %v", err)
	}
	first, err := PrepareState(spec, "docker")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(first.Cert.CertPEM, first.Cert.KeyPEM); err != nil || len(first.Password) < 16 {
		t.Fatalf("cert %v, password length %d", err, len(first.Password))
	}
	spec.Nodes = 3
	second, err := PrepareState(spec, "docker")
	if err != nil {
		t.Fatal(err)
	}
	if second.Password != first.Password || string(second.Cert.CertPEM) != string(first.Cert.CertPEM) || second.Spec.Nodes != 3 {
		t.Fatalf("state not reused: %+v", second.Spec)
	}
	if err := RemoveState("keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState("keep"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}

func TestPartitionTargetByRole(t *testing.T) {
	for _, tt := range []struct {
		role Role
		from string
		want string
	}{{RoleNode, "", "db"}, {RoleCP, "", "db"}, {RoleDP, "", "cp"}, {RoleDP, "db", ""}, {RoleDB, "", ""}} {
		got, err := Fault{Member: "m", From: tt.from}.PartitionTarget(tt.role)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("%s from %q: %q, %v; want %q", tt.role, tt.from, got, err, tt.want)
		}
	}
}

// TestStateRefusesANameOutsideTheStateRoot: every state function checks the
// name where it becomes a path, so "../.." removes, reads and writes nothing
// outside the state root.
func TestStateRefusesANameOutsideTheStateRoot(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", home)
	keep := filepath.Join(home, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../..", "..", "a/b", "", ".hidden", "UPPER"} {
		t.Run(name, func(t *testing.T) {
			for verb, err := range map[string]error{
				"remove":  RemoveState(name),
				"load":    func() error { _, err := LoadState(name); return err }(),
				"prepare": func() error { _, err := PrepareState(Spec{Name: name}, "local"); return err }(),
			} {
				if err == nil || !strings.Contains(err.Error(), "is invalid") {
					t.Errorf("%s %q: got %v, want the name refused", verb, name, err)
				}
			}
			if _, err := os.Stat(keep); err != nil {
				t.Fatalf("a file outside the state root is gone: %v", err)
			}
		})
	}
}
