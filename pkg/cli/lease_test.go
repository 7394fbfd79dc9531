package cli

import (
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// TestLeaseRequestsAreBounded: the Lease client's requests carry a timeout, so a renewal on a
// hung API server fails instead of hanging while the lease expires; a --request-timeout the
// user gave wins, and the kubeconfig's own config is left as it was.
func TestLeaseRequestsAreBounded(t *testing.T) {
	kube := &rest.Config{Host: "https://api.example:6443"}
	if got := leaseConfig(kube).Timeout; got != leaseCallTimeout || kube.Timeout != 0 {
		t.Fatalf("lease timeout %s (kubeconfig's now %s), want %s", got, kube.Timeout, leaseCallTimeout)
	}
	kube.Timeout = 3 * time.Second
	if got := leaseConfig(kube).Timeout; got != 3*time.Second {
		t.Fatalf("the user's --request-timeout was replaced by %s", got)
	}
}
