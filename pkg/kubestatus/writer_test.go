package kubestatus

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/kongdb/kubectl-kongdb/pkg/apply"
	"github.com/kongdb/kubectl-kongdb/pkg/engine"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

// writerOver is a Writer on a fake API server holding the fixture's objects, with funcs
// intercepting its calls.
func writerOver(t *testing.T, f *fixture, funcs interceptor.Funcs) (*Writer, client.Client) {
	t.Helper()
	var objs []client.Object
	for _, o := range f.objects {
		objs = append(objs, o.DeepCopyObject().(client.Object))
	}
	c := fake.NewClientBuilder().WithScheme(source.Scheme()).WithObjects(objs...).WithStatusSubresource(objs...).
		WithInterceptorFuncs(funcs).Build()
	w := New(nil, Options{PublishAddresses: f.in.Addresses})
	w.once.Do(func() { w.client = c })
	return w, c
}

func resultOf(f *fixture) *engine.Result {
	return &engine.Result{Observation: &engine.Observation{Snapshot: f.in.Snapshot, Diagnostics: f.in.Diagnostics, Desired: f.in.Desired},
		Outcome: f.in.Outcome}
}

func TestWriterWritesOnlyWhatChanged(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	w, _ := writerOver(t, f, interceptor.Funcs{})
	first, err := w.Update(t.Context(), resultOf(f))
	if err != nil || first == 0 {
		t.Fatalf("first Update = %d, %v; want writes", first, err)
	}
	if again, err := w.Update(t.Context(), resultOf(f)); err != nil || again != 0 {
		t.Errorf("second Update of the same result = %d, %v; want no write", again, err)
	}
}

func TestWriterRetriesAConflictOnAFreshRead(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	conflicts := 0
	w, _ := writerOver(t, f, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if obj.GetName() == "gw" && conflicts == 0 {
				conflicts++
				return apierrors.NewConflict(schema.GroupResource{Resource: "gateways"}, "gw", nil)
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	n, err := w.Update(t.Context(), resultOf(f))
	if err != nil || conflicts != 1 {
		t.Fatalf("Update = %d, %v after %d conflicts", n, err, conflicts)
	}
	if again, _ := w.Update(t.Context(), resultOf(f)); again != 0 {
		t.Errorf("the Gateway was not written through its conflict: a second Update wrote %d", again)
	}
}

func TestWriterSkipsDryRunsAndObjectsGone(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	w, _ := writerOver(t, f, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if obj.GetName() == "good" {
				return apierrors.NewNotFound(schema.GroupResource{Resource: "httproutes"}, obj.GetName())
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	dry := resultOf(f)
	dry.Outcome = nil
	if n, err := w.Update(t.Context(), dry); n != 0 || err != nil {
		t.Errorf("dry run: Update = %d, %v", n, err)
	}
	if _, err := w.Update(t.Context(), resultOf(f)); err != nil {
		t.Errorf("an object deleted meanwhile failed the update: %v", err)
	}
}

func TestWriterAsksNothingOfTheAPIServerWhenTheReadStatusHolds(t *testing.T) {
	f := newFixture(t, &apply.Outcome{})
	// The objects as a later sync reads them: with the status the first one wrote.
	for _, c := range Compute(f.in) {
		c.Apply(c.Read, t0)
	}
	requests := 0
	w, _ := writerOver(t, f, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			requests++
			return c.Get(ctx, key, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			requests++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	if n, err := w.Update(t.Context(), resultOf(f)); n != 0 || err != nil || requests != 0 {
		t.Errorf("Update = %d, %v with %d requests; want nothing asked or written", n, err, requests)
	}
}
