package lock

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"
)

// Lease is a lock held as a coordination.k8s.io Lease.
type Lease struct {
	Client          coordclient.LeasesGetter
	Namespace, Name string
}

// Describe names the Lease.
func (l *Lease) Describe() string { return "Lease " + l.Namespace + "/" + l.Name }

// TryAcquire creates the Lease, or takes it over when it expired.
func (l *Lease) TryAcquire(ctx context.Context, holder string, ttl time.Duration) (*Holder, error) {
	leases := l.Client.Leases(l.Namespace)
	now := metav1.NewMicroTime(time.Now())
	spec := coordinationv1.LeaseSpec{HolderIdentity: ptr.To(holder), LeaseDurationSeconds: ptr.To(int32(ttl.Seconds())),
		AcquireTime: &now, RenewTime: &now}
	_, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace}, Spec: spec}, metav1.CreateOptions{})
	if err == nil {
		return nil, nil
	}
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("namespace %s does not exist (set --lock-namespace): %w", l.Namespace, err)
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	cur, err := leases.Get(ctx, l.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if h := holderOf(cur); h != nil && time.Now().Before(h.Expires) && h.Identity != holder {
		return h, nil
	}
	cur.Spec = spec
	if _, err := leases.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) {
			return &Holder{Identity: "a sync that took it just now", Since: time.Now(), Expires: time.Now().Add(ttl)}, nil
		}
		return nil, err
	}
	return nil, nil
}

func holderOf(l *coordinationv1.Lease) *Holder {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.RenewTime == nil {
		return nil
	}
	h := &Holder{Identity: *l.Spec.HolderIdentity, Since: l.Spec.RenewTime.Time}
	if l.Spec.AcquireTime != nil {
		h.Since = l.Spec.AcquireTime.Time
	}
	d := int32(60)
	if l.Spec.LeaseDurationSeconds != nil {
		d = *l.Spec.LeaseDurationSeconds
	}
	h.Expires = l.Spec.RenewTime.Add(time.Duration(d) * time.Second)
	return h
}

// Renew moves the Lease's renew time forward while holder holds it.
func (l *Lease) Renew(ctx context.Context, holder string, ttl time.Duration) error {
	leases := l.Client.Leases(l.Namespace)
	cur, err := leases.Get(ctx, l.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%w (%s): it was deleted", ErrLost, l.Describe())
	}
	if err != nil {
		return err
	}
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != holder {
		return fmt.Errorf("%w (%s): it is held by someone else now", ErrLost, l.Describe())
	}
	now := metav1.NewMicroTime(time.Now())
	cur.Spec.RenewTime = &now
	cur.Spec.LeaseDurationSeconds = ptr.To(int32(ttl.Seconds()))
	// The update carries the resourceVersion read: a takeover in between makes it a conflict.
	_, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return fmt.Errorf("%w (%s): it changed while being renewed", ErrLost, l.Describe())
	}
	return err
}

// Release deletes the Lease if holder still holds it.
func (l *Lease) Release(ctx context.Context, holder string) error {
	leases := l.Client.Leases(l.Namespace)
	cur, err := leases.Get(ctx, l.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != holder {
		return nil
	}
	return leases.Delete(ctx, l.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
}
