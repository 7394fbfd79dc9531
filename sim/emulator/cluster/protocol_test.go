package cluster

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodePayload(t *testing.T) {
	m, err := decodePayload(gz(t, `{"type":"reconfigure","config_hash":"abc","config_table":{"services":[{"name":"s"}]}}`), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "reconfigure" || m.ConfigHash != "abc" || len(toEntities(m.ConfigTable)["services"]) != 1 {
		t.Errorf("decoded %+v", m)
	}
	// A frame that inflates far beyond cluster_max_payload is a gzip bomb.
	bomb := gz(t, `{"type":"`+strings.Repeat("a", 70*1024)+`"}`)
	if _, err := decodePayload(bomb, 1024); err == nil || !strings.Contains(err.Error(), "inflates past") {
		t.Errorf("bomb: %v, want refused", err)
	}
	if _, err := decodePayload([]byte("plain"), 1024); err == nil {
		t.Error("a frame that is not gzip was accepted")
	}
}

func TestKongVersionCompatibility(t *testing.T) {
	for dp, ok := range map[string]bool{"3.9.3": true, "3.9.0": true, "3.8.1": true, "3.0.0": true,
		"3.10.0": false, "4.0.0": false, "2.8.4": false, "banana": false} {
		if err := checkKongVersion("3.9.3", dp); (err == nil) != ok {
			t.Errorf("DP %s with CP 3.9.3: %v, want compatible %v", dp, err, ok)
		}
	}
}
