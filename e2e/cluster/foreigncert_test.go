package cluster

import (
	"crypto/tls"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// dialAsDataPlane opens a data plane's connection to the control plane with the given client
// certificate, as a data plane that checks nothing of the control plane's certificate: the
// control plane's own check is then the only one that can refuse.
func dialAsDataPlane(t *testing.T, h *hybrid, certPEM, keyPath string) error {
	t.Helper()
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), key)
	if err != nil {
		t.Fatal(err)
	}
	dialer := websocket.Dialer{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{pair},
		InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // the test's point: the data plane trusts anyone
	conn, resp, err := dialer.DialContext(t.Context(), "wss://"+h.cpAddr+"/v1/outlet?node_id="+uuid.NewString()+
		"&node_hostname=trusting-dp&node_version=3.9.1", nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return err
	}
	return conn.Close()
}

// TestHybridControlPlaneRefusesAForeignClientCertificate: a data plane that would accept any
// control plane presents another cluster certificate; only the control plane's check of the
// client certificate stands between it and the cluster's configuration. The connection is
// refused, the refusal logged on the control plane's side, and no data plane is listed. The
// same client with the cluster certificate is let in, so the refusal is the certificate's.
// TestHybridRefusesADataPlaneWithAnotherCertificate passes even without the control plane's
// check (the data plane refuses first); this one fails then (checked by removing the
// VerifyPeerCertificate of cluster.TLS.ServerConfig).
func TestHybridControlPlaneRefusesAForeignClientCertificate(t *testing.T) {
	h := startControlPlane(t)
	foreignCert, foreignKey := clusterCert(t)
	if err := dialAsDataPlane(t, h, foreignCert, foreignKey); err == nil {
		t.Fatal("the control plane let in a data plane with a foreign certificate")
	}
	// The control plane's log reaches us through a pipe: its refusal may arrive a moment later.
	logged := func() bool {
		l := h.cp.Log.String()
		return strings.Contains(l, "connection refused") && strings.Contains(l, "side=control_plane")
	}
	for deadline := time.Now().Add(10 * time.Second); !logged() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if !logged() {
		t.Errorf("the control plane did not log its refusal:\n%s", h.cp.Log.String())
	}
	if rows, err := h.dataPlanes(); err != nil || len(rows) != 0 {
		t.Errorf("control plane lists %v (%v), want no data plane", rows, err)
	}
	if err := dialAsDataPlane(t, h, h.cert, h.keyPath); err != nil {
		t.Fatalf("the same client with the cluster certificate was refused too: %v", err)
	}
}
