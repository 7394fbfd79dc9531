package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kongdb/kubectl-kongdb/internal/redact"
	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// KIC's event reasons, so that whatever watches KIC's events sees kongdb's the same way.
const (
	ReasonTranslationFailed = "KongConfigurationTranslationFailed"
	ReasonApplyFailed       = "KongConfigurationApplyFailed"
)

// RecordEvents writes a Warning Event on every Kubernetes object that could not be translated
// (diagnostics of severity error) or whose entity Kong refused (failed and conflicting ops;
// skipped ones are their dependents' story). Events of one sync are best effort: a failure to
// write one is returned after trying the rest.
func RecordEvents(ctx context.Context, events coreclient.EventsGetter, diags translate.Diagnostics, results []apply.Result) error {
	host, _ := os.Hostname()
	now := metav1.NewTime(time.Now())
	var errs []error
	write := func(ref corev1.ObjectReference, reason, msg string) {
		ns := ref.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ev := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{GenerateName: ref.Name + ".", Namespace: ns},
			InvolvedObject: ref, Reason: reason, Message: redact.URLs(msg), Type: corev1.EventTypeWarning,
			Source:         corev1.EventSource{Component: "kongdb", Host: host},
			FirstTimestamp: now, LastTimestamp: now, Count: 1,
			ReportingController: "kongdb", ReportingInstance: host,
		}
		if _, err := events.Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("event on %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err))
		}
	}
	for _, d := range diags.Errors() {
		write(corev1.ObjectReference{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}, ReasonTranslationFailed, d.String())
	}
	for _, r := range results {
		o := r.Op.Object
		if o == nil || (r.Status != apply.Failed && r.Status != apply.Conflict) {
			continue
		}
		msg := r.Error
		if r.Blocker != "" {
			msg += "; in the way: " + r.Blocker
		}
		write(corev1.ObjectReference{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, UID: types.UID(o.UID), APIVersion: o.APIVersion},
			ReasonApplyFailed, msg)
	}
	return errors.Join(errs...)
}
