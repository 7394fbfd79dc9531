package translate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// uidLine matches a metadata.uid, to turn a golden case into what a hand-written manifest is.
var uidLine = regexp.MustCompile(`(?m)(,\s*)?\buid: [0-9a-f-]{36}`)

// TestCertificatesFromSecretsWithoutUID checks the golden cases with certificates (an Ingress's
// TLS, a Gateway listener's, a Service's client-cert) read as hand-written manifests, without
// metadata.uid: every certificate gets the ID derived from its Secret's namespace and name
// (kongstate.ObjectID), never an empty one (which Kong refused on the SNIs), the same on every
// run; service client_certificate references follow it; no tag carries an empty UID. On the
// old code every such certificate had the ID "".
func TestCertificatesFromSecretsWithoutUID(t *testing.T) {
	for _, name := range []string{"ingress-tls", "gateway-listener-certs", "service-annotations"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", name, "in.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			manifest := uidLine.ReplaceAll(raw, nil)
			if strings.Contains(string(manifest), "uid:") {
				t.Fatalf("uids left in the manifest")
			}
			snap, err := decodeSnapshot(manifest)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			translate := func() *kongstate.State {
				st, _ := Translate(snap, caseOptions(t, filepath.Join("testdata", name)))
				return st
			}
			st, again := translate(), translate()
			if len(st.Certificates) == 0 {
				t.Fatalf("no certificates translated")
			}
			want := map[string]bool{}
			for _, s := range snap.Secrets {
				want[kongstate.ObjectID("", "", "Secret", s.Namespace, s.Name)] = true
			}
			for i, c := range st.Certificates {
				id := deref(c.ID)
				if !want[id] {
					t.Errorf("certificate %d: ID %q is not derived from a Secret's namespace and name", i, id)
				}
				if deref(again.Certificates[i].ID) != id {
					t.Errorf("certificate %d: ID %q, then %q on a second run", i, id, deref(again.Certificates[i].ID))
				}
				for _, tag := range c.Tags {
					if strings.HasPrefix(*tag, tagUID) {
						t.Errorf("certificate %d carries %q", i, *tag)
					}
				}
			}
			for _, s := range st.Services {
				if s.ClientCertificate != nil && !want[deref(s.ClientCertificate.ID)] {
					t.Errorf("service %s: client_certificate %q names no certificate", deref(s.Name), deref(s.ClientCertificate.ID))
				}
			}
		})
	}
}

// TestObjectIDKeepsUIDs checks that an object with a UID keeps KIC's ID (the UID), so a Kong KIC
// filled is taken over without writes, and that derived IDs tell objects and workspaces apart.
func TestObjectIDKeepsUIDs(t *testing.T) {
	if got := kongstate.ObjectID("0b000000-0000-0000-0000-000000000001", "ws", "Secret", "a", "b"); got != "0b000000-0000-0000-0000-000000000001" {
		t.Errorf("ObjectID with a UID = %q, want the UID", got)
	}
	ids := map[string]bool{}
	for _, in := range [][4]string{{"", "Secret", "a", "b"}, {"ws", "Secret", "a", "b"}, {"", "Secret", "a", "c"}, {"", "Secret", "b", "b"}, {"", "ConfigMap", "a", "b"}} {
		id := kongstate.ObjectID("", in[0], in[1], in[2], in[3])
		if id == "" || ids[id] {
			t.Errorf("ObjectID(%q) = %q: empty or not unique", in, id)
		}
		ids[id] = true
	}
}
