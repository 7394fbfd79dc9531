package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadLayersDefaultsFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kong.conf")
	conf := "pg_host = db.example # the database\npg_port = 6543\nlog_level = debug\nunknown_thing = 1\npg_password = a\\#b\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatalf("write conf: %v", err)
	}
	c, err := Load(path, []string{"KONG_LOG_LEVEL=warn", "KONG_ADMIN_LISTEN=0.0.0.0:9001", "PATH=/bin"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"file sets pg_host", c.PG.Host, "db.example"},
		{"file sets pg_port", c.PG.Port, 6543},
		{"env wins over file", c.LogLevel, "warn"},
		{"escaped hash kept", c.PG.Password, "a#b"},
		{"default database", c.Database, "postgres"},
		{"default role", c.Role, RoleTraditional},
		{"default frequency", c.DBUpdateFrequency, 5.0},
		{"env admin listen", c.AdminListen[0].Addr(), "0.0.0.0:9001"},
		{"default proxy listen count", len(c.ProxyListen), 2},
		{"admin body limit 10m", c.AdminBodyLimit, int64(10 << 20)},
		{"unknown setting kept", c.Values["unknown_thing"], "1"},
		{"password masked", c.Sanitized()["pg_password"], "******"},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadRefusesInvalidValuesLikeKong(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"bad database", []string{"KONG_DATABASE=mysql"}, "database has an invalid value: 'mysql' (postgres, cassandra, off)"},
		{"bad role", []string{"KONG_ROLE=boss"}, "role has an invalid value: 'boss' (data_plane, control_plane, traditional)"},
		{"bad log level", []string{"KONG_LOG_LEVEL=loud"}, "log_level has an invalid value: 'loud'"},
		{"bad number", []string{"KONG_PG_PORT=abc"}, "pg_port is not a number: 'abc'"},
		{"bad listener", []string{"KONG_ADMIN_LISTEN=nonsense"}, "admin_listen must be of form: [off] | <ip>:<port> [ssl]"},
		{"bad flag", []string{"KONG_ADMIN_LISTEN=0.0.0.0:8001 turbo"}, "admin_listen must be of form"},
		{"hybrid without certs", []string{"KONG_ROLE=control_plane"}, "cluster certificate and key must be provided to use Hybrid mode"},
		{"data plane with a database", []string{"KONG_ROLE=data_plane", "KONG_CLUSTER_CERT=c", "KONG_CLUSTER_CERT_KEY=k"},
			`only in-memory storage can be used when role = "data_plane"`},
		{"data plane without proxy", []string{"KONG_ROLE=data_plane", "KONG_DATABASE=off", "KONG_CLUSTER_CERT=c",
			"KONG_CLUSTER_CERT_KEY=k", "KONG_PROXY_LISTEN=off"}, `proxy_listen must be specified when role = "data_plane"`},
		{"labels on a control plane", []string{"KONG_ROLE=control_plane", "KONG_CLUSTER_CERT=c", "KONG_CLUSTER_CERT_KEY=k",
			"KONG_CLUSTER_DP_LABELS=region:eu"}, `cluster_dp_labels can not be used when role = "control_plane"`},
		{"bad label", []string{"KONG_CLUSTER_DP_LABELS=region"}, "cluster_dp_labels: invalid label 'region' (expected key:value)"},
		{"short purge delay", []string{"KONG_CLUSTER_DATA_PLANE_PURGE_DELAY=59"}, "cluster_data_plane_purge_delay must be 60 or greater"},
		{"small max payload", []string{"KONG_CLUSTER_MAX_PAYLOAD=1024"}, "cluster_max_payload must be 4194304 (4MB) or greater"},
		{"zero update frequency", []string{"KONG_DB_UPDATE_FREQUENCY=0"}, "db_update_frequency must be greater than 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(filepath.Join(t.TempDir(), "absent"), nil)
			if err == nil || !strings.Contains(err.Error(), "no file at") {
				t.Fatalf("missing explicit file: got %v", err)
			}
			_, err = Load("", tc.env)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadReadsClusterSettings(t *testing.T) {
	c, err := Load("", []string{"KONG_ROLE=data_plane", "KONG_DATABASE=off", "KONG_CLUSTER_CERT=c", "KONG_CLUSTER_CERT_KEY=k",
		"KONG_CLUSTER_DP_LABELS=region:eu, tier:gold", "KONG_DB_UPDATE_FREQUENCY=0.25", "KONG_CLUSTER_CONTROL_PLANE=cp:8005"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DBUpdateFrequency != 0.25 || c.ClusterControlPlane != "cp:8005" || c.ClusterMaxPayload != 16777216 ||
		c.ClusterPurgeDelay != 1209600 || !reflect.DeepEqual(c.ClusterDPLabels, map[string]string{"region": "eu", "tier": "gold"}) {
		t.Errorf("got frequency %v, control plane %q, max payload %d, purge delay %v, labels %v", c.DBUpdateFrequency,
			c.ClusterControlPlane, c.ClusterMaxPayload, c.ClusterPurgeDelay, c.ClusterDPLabels)
	}
}

func TestReadPEMTakesTextOrPath(t *testing.T) {
	const pemText = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	path := filepath.Join(t.TempDir(), "c.pem")
	if err := os.WriteFile(path, []byte(pemText), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{pemText, path} {
		got, err := ReadPEM("cluster_cert", v)
		if err != nil || string(got) != pemText {
			t.Errorf("ReadPEM(%q) = %q, %v", v, got, err)
		}
	}
	if _, err := ReadPEM("cluster_cert", filepath.Join(t.TempDir(), "absent")); err == nil || !strings.Contains(err.Error(), "cluster_cert") {
		t.Errorf("missing file: %v, want an error naming the setting", err)
	}
}

func TestParseListeners(t *testing.T) {
	tests := []struct {
		in       string
		want     []Listener
		wantFail bool
	}{
		{in: "off", want: []Listener{}},
		{in: "127.0.0.1:8001 reuseport backlog=16384", want: []Listener{{IP: "127.0.0.1", Port: 8001,
			Flags: []string{"reuseport", "backlog=16384"}, Listener: "127.0.0.1:8001 reuseport backlog=16384"}}},
		{in: "[::1]:8444 ssl http2", want: []Listener{{IP: "[::1]", Port: 8444, SSL: true, HTTP2: true,
			Flags: []string{"ssl", "http2"}, Listener: "[::1]:8444 ssl"}}},
		{in: "localhost:80", want: []Listener{{IP: "localhost", Port: 80, Listener: "localhost:80"}}},
		{in: "0.0.0.0", wantFail: true},
		{in: "0.0.0.0:99999", wantFail: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseListeners(strings.Split(tc.in, ","), httpFlags)
			if tc.wantFail {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
