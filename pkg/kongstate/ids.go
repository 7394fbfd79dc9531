package kongstate

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/kong/go-kong/kong"
)

// FillIDs gives services, routes, consumers, consumer groups, vaults and plugins the UUIDv5 IDs
// that KIC's FillIDs gives them (go-kong's FillID: a per-type namespace and the entity's name,
// prefixed by "workspace/" when a workspace is set). Identical inputs thus get identical IDs in
// both tools, which is what lets kongdb take over a KIC-managed Kong without rewrites.
// Upstreams, targets, SNIs and credentials get none (decK matches them by key); certificates and
// CA certificates carry the IDs translation gave them. Entities whose key is empty (a consumer
// with only custom_id) are left without an ID, as KIC leaves them. Any other entity whose key
// is empty (a plugin without a name, a vault without a prefix) is left without an ID too, and
// reported as an *IDError.
func (s *State) FillIDs(workspace string) []*IDError {
	var errs []*IDError
	fill := func(e kong.IDFillable, entity, name string) {
		if err := e.FillID(workspace); err != nil {
			errs = append(errs, &IDError{Entity: entity, Name: name, Err: err})
		}
	}
	for _, svc := range s.Services {
		fill(&svc.Service, "service", deref(svc.Name))
		for _, r := range svc.Routes {
			fill(&r.Route, "route", deref(r.Name))
		}
	}
	for _, c := range s.Consumers {
		if c.Username == nil || *c.Username == "" {
			continue // KIC: consumers keyed by custom_id only get no ID.
		}
		fill(&c.Consumer, "consumer", deref(c.Username))
	}
	for _, cg := range s.ConsumerGroups {
		fill(&cg.ConsumerGroup, "consumer group", deref(cg.Name))
	}
	for _, v := range s.Vaults {
		fill(v, "vault", deref(v.Prefix))
	}
	for _, p := range s.Plugins {
		fill(p, "plugin", deref(p.Name))
	}
	return errs
}

// IDError names an entity FillIDs could not give an ID, so the caller can report it.
type IDError struct {
	// Entity is the Kong entity type ("service", "plugin", ...); Name its name, maybe empty.
	Entity, Name string
	Err          error
}

func (e *IDError) Error() string {
	return fmt.Sprintf("fill id of %s %q: %v", e.Entity, e.Name, e.Err)
}

func (e *IDError) Unwrap() error { return e.Err }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// objectIDSpace is the UUIDv5 namespace of the IDs kongdb derives for entities whose KIC ID is
// a Kubernetes object's UID, when the object has none (a manifest read with -f carries no
// metadata.uid). It is kongdb's own, distinct from go-kong's per-type namespaces, so a derived
// ID never equals an ID KIC's FillIDs gives.
var objectIDSpace = uuid.MustParse("3f0c1a52-6b1e-5d0e-9a47-6b6f6e676462")

// ObjectID is the ID of an entity whose KIC ID is the UID of the Kubernetes object it comes
// from (a certificate's is its Secret's UID): the UID itself when the object has one, so that a
// Kong KIC filled is taken over without writes; otherwise UUIDv5(objectIDSpace,
// [workspace "/"] kind "/" namespace "/" name). Those inputs are what identifies an object
// without a UID: the same manifest synced twice, or by two users, gives the same ID, and the
// same object in two workspaces gives two (Kong's IDs are unique across workspaces).
func ObjectID(uid, workspace, kind, namespace, name string) string {
	if uid != "" {
		return uid
	}
	key := kind + "/" + namespace + "/" + name
	if workspace != "" {
		key = workspace + "/" + key
	}
	return uuid.NewSHA1(objectIDSpace, []byte(key)).String()
}
