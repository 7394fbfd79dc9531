package translate

import (
	"strings"
	"testing"
)

// TestCredentialDiagnosticsNeverQuoteSecretValues checks that a credential Secret whose data
// cannot be used is reported by field name only: the values (here all LEAK-*) are secrets.
func TestCredentialDiagnosticsNeverQuoteSecretValues(t *testing.T) {
	const manifests = `
apiVersion: v1
kind: Secret
metadata: {name: dup-a, namespace: default, labels: {konghq.com/credential: key-auth}}
stringData: {key: LEAK-duplicate-key}
---
apiVersion: v1
kind: Secret
metadata: {name: dup-b, namespace: default, labels: {konghq.com/credential: key-auth}}
stringData: {key: LEAK-duplicate-key}
---
apiVersion: v1
kind: Secret
metadata: {name: bad-type, namespace: default, labels: {konghq.com/credential: basic-auth}}
stringData: {username: carol, password: LEAK-password, created_at: LEAK-created-at}
---
apiVersion: v1
kind: Secret
metadata: {name: bad-ttl, namespace: default, labels: {konghq.com/credential: key-auth}}
stringData: {key: LEAK-ttl-key, ttl: LEAK-ttl}
---
apiVersion: v1
kind: Secret
metadata: {name: bad-hash, namespace: default, labels: {konghq.com/credential: oauth2}}
stringData: {name: app, client_id: app-id, client_secret: LEAK-client-secret, hash_secret: LEAK-hash-secret}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: alice, namespace: default, annotations: {kubernetes.io/ingress.class: kong}}
username: alice
credentials: [dup-a, bad-type, bad-ttl, bad-hash]
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: bob, namespace: default, annotations: {kubernetes.io/ingress.class: kong}}
username: bob
credentials: [dup-b]
`
	snap, err := decodeSnapshot([]byte(manifests))
	if err != nil {
		t.Fatalf("decode manifests: %v", err)
	}
	for _, s := range snap.Secrets {
		// What the API server does with stringData, which the decoder leaves as written.
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
	}
	_, diags := Translate(snap, DefaultOptions())
	var all strings.Builder
	for _, d := range diags {
		all.WriteString(d.String() + "\n")
	}
	for _, want := range []string{
		`Secret default/dup-a data: Secret has conflicting credential`,
		`credential "bad-type" failure: failed to provision credential: failed to decode basic-auth credential: failed to decode credential: wrong type of field(s) created_at`,
		`credential "bad-ttl" failure: Failed to parse ttl to int: not an integer`,
		`credential "bad-hash" failure: Failed to parse hash_secret to bool: not a boolean`,
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, all.String())
		}
	}
	if strings.Contains(all.String(), "LEAK-") {
		t.Errorf("diagnostics quote a Secret value:\n%s", all.String())
	}
}
