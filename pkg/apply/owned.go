package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

// notOwned is a write refused because the entity it would change is not one this sync read as
// its own: an update or delete of an entity that does not carry the ownership tag, or a
// create whose first reply was lost and whose ID (or SNI name) turns out to be held by
// someone else's entity. The entity is left alone and the op ends as a Conflict.
type notOwned struct{ blocker string }

func (e *notOwned) Error() string { return e.blocker }

// ownedBefore checks that an update or delete is on an entity this sync read as owned: its
// body as read carries the ownership tag. The plan only makes such ops, so this is the last
// line against a plan built on a read that was not tag-filtered. A consumer group's
// membership has no tags of its own: the read lists memberships only under the groups it read
// with the ownership tag (admin's readMembers), and that group is the membership's owner.
func (r *runner) ownedBefore(op *plan.Op) error {
	if op.Action == plan.Create || op.Kind == plan.KindConsumerGroupMember || hasTag(op.Old["tags"], r.opts.OwnershipTag) {
		return nil
	}
	return &notOwned{blocker: fmt.Sprintf("%s %s was not read as owned by this sync (no tag %q): left alone", op.Kind, op.Name, r.opts.OwnershipTag)}
}

// landed finds out, after a create whose reply was lost, whether the create was written: it
// reads the entity where the create would have put it (its ID, or an SNI's name). Absent: the
// create did not land (false). Present with the ownership tag: it did, or a sync of ours
// wrote the same entity (true). Present without: someone else's entity holds the ID or
// name, and it is left alone (a *notOwned error).
func (r *runner) landed(ctx context.Context, op *plan.Op) (bool, error) {
	var found struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Tags []any  `json:"tags"`
	}
	_, err := r.pool.withNode(ctx, func(n *admin.Node) error {
		r.requests.Add(1)
		return admin.Do(ctx, n.Client, http.MethodGet, op.UpsertPath, nil, nil, &found)
	})
	switch {
	case admin.IsStatus(err, http.StatusNotFound):
		return false, nil
	case err != nil:
		return false, err
	case hasTag(found.Tags, r.opts.OwnershipTag):
		return true, nil
	}
	tags := "no tags"
	if len(found.Tags) > 0 {
		tags = fmt.Sprintf("tags %v", found.Tags)
	}
	return false, &notOwned{blocker: fmt.Sprintf("existing %s at %s (id %s, %s), not owned by this sync: left alone after the create's reply was lost",
		op.Kind, op.UpsertPath, found.ID, tags)}
}

// hasTag reports whether tags (a JSON array as decoded, or strings) hold tag. An empty tag is
// held by nothing: without an ownership tag nothing is read as owned.
func hasTag(tags any, tag string) bool {
	if tag == "" {
		return false
	}
	switch ts := tags.(type) {
	case []any:
		return slices.Contains(ts, any(tag))
	case []string:
		return slices.Contains(ts, tag)
	case []*string:
		return slices.ContainsFunc(ts, func(t *string) bool { return t != nil && *t == tag })
	}
	return false
}

// asNotOwned returns the blocker of a *notOwned error.
func asNotOwned(err error) (string, bool) {
	var no *notOwned
	if errors.As(err, &no) {
		return no.blocker, true
	}
	return "", false
}

// describeOp is how results name an op: "create key-auth k1".
func describeOp(op *plan.Op) string {
	return strings.Join([]string{string(op.Action), string(op.Kind), op.Name}, " ")
}
