package plan

import (
	"fmt"
	"maps"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// Action is what an operation does to one entity.
type Action string

// Actions, in the order a report lists them.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Object is the Kubernetes object an entity was made from, read from its k8s-* tags.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// UID and APIVersion complete the reference, for Kubernetes Events.
	UID        string `json:"uid,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// String is "Kind namespace/name".
func (o *Object) String() string {
	if o == nil {
		return ""
	}
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Op is one write: an HTTP request to the Admin API and what it does.
type Op struct {
	// Index is the op's position in Plan.Ops; DependsOn names other ops by it.
	Index  int    `json:"index"`
	Action Action `json:"action"`
	Kind   Kind   `json:"kind"`
	// Name identifies the entity to people (never a secret).
	Name string `json:"name"`
	ID   string `json:"id,omitempty"`
	// Method and Path are the request; a create is a POST, so that an entity nobody told us
	// about is never overwritten (Kong answers 409), while an update PUTs the whole entity.
	Method string `json:"method"`
	Path   string `json:"path"`
	// UpsertPath is where a PUT lands the same entity: apply retries a create there when a
	// connection broke mid-request and the first attempt may have been written.
	UpsertPath string `json:"-"`
	// Body is the entity as it will be (nil for deletes); Old is it as Kong has it now (nil
	// for creates). Both carry secrets: print them through Redacted.
	Body map[string]any `json:"-"`
	Old  map[string]any `json:"-"`
	// Object is the Kubernetes object the entity comes from (from its k8s-* tags).
	Object    *Object `json:"object,omitempty"`
	DependsOn []int   `json:"dependsOn,omitempty"`
	// Reason says why a withheld delete is not made.
	Reason string `json:"reason,omitempty"`
	// Conflict, on a create, names an entity someone else owns that holds its name or ID (set
	// by a dry run's lookups; a sync learns it from Kong's 409).
	Conflict string `json:"conflict,omitempty"`
	// Refused, when set, is why Kong would refuse the op, known before sending it
	// (pkg/preflight): the op is never sent, it fails, and what depends on it is skipped.
	Refused string `json:"refused,omitempty"`

	secrets []string
}

// Plan is every write that makes Kong equal to the desired state, as a DAG.
type Plan struct {
	Ops []*Op `json:"ops"`
	// Withheld are deletes the plan does not make: out of scope, forbidden, or whose entity
	// is still referenced by one that stays.
	Withheld []*Op `json:"withheld,omitempty"`
	// Frozen are the writes the plan does not make because the Kubernetes object the entity
	// comes from (or a parent it needs) failed translation: Kong keeps what it has.
	Frozen []*Op `json:"frozen,omitempty"`
	// Managed is how many owned entities Kong holds now; InScope how many of them this sync
	// may delete (its namespaces and selector), which the delete budget is a share of.
	Managed int `json:"managed"`
	InScope int `json:"inScope"`
	// TargetsReplaced counts the deletes of targets whose upstream stays: the pods of a
	// rollout, which follow EndpointSlices rather than anything a person wrote, so the delete
	// budget leaves them out.
	TargetsReplaced int `json:"targetsReplaced,omitempty"`
	// Unchanged is how many desired entities already equal Kong's.
	Unchanged int      `json:"unchanged"`
	Notes     []string `json:"notes,omitempty"`
}

// Options shape a plan.
type Options struct {
	// OwnershipTag is the tag every owned entity carries (SNIs get it, as decK's builder does).
	OwnershipTag string
	// AllowDeletes is false when the desired state may be incomplete (a Kubernetes list failed):
	// then nothing is deleted.
	AllowDeletes bool
	// MayDelete limits deletes to a scope (the namespaces read); nil allows every owned entity.
	MayDelete func(tags []string) bool
	// NoDeleteReason is why deletes are not allowed, for the withheld ops.
	NoDeleteReason string
	// Frozen, when set, says why an entity with these tags must not be created, changed or
	// deleted ("" when it may): its Kubernetes object failed translation, so what Kong has
	// from it is the last good configuration.
	Frozen func(tags []string) string
	// Workspace seeds the IDs generated for entities that have none, as go-kong's FillID does.
	Workspace string
	// SecretConfig maps a plugin name to the JSON pointers, within its config, of the fields
	// Kong's schema marks encrypted or referenceable (admin.Schemas.PluginSecretFields). They
	// are hidden on both sides of every op of such a plugin, deletes included, whatever the
	// value's origin; config fields with a well-known secret name are hidden even without it.
	SecretConfig map[string][]string
}

// Count is how many ops of each action a plan has.
func (p *Plan) Count() map[Action]int {
	m := map[Action]int{}
	for _, op := range p.Ops {
		m[op.Action]++
	}
	return m
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return len(p.Ops) == 0 }

// idSpace is the UUIDv5 namespace of IDs kongdb generates for entities that translation leaves
// without one (upstreams, targets, credentials), so that dry runs and syncs name them alike.
var idSpace = uuid.MustParse("6c8b6c5a-4f6e-5e59-9b1e-6b6f6e676462")

// Build compares desired with current (both as kongstate reads them: current only holds owned
// entities) and returns the writes. Entities match by their key (name; a plugin by its name
// and the keys of its service, route, consumer and consumer group, so it keeps its ID as
// KIC's refillPluginIDs does); a matched entity keeps the ID Kong has, so that nothing is
// recreated. desired should already carry Kong's schema defaults.
func Build(desired, current *kongstate.State, opts Options) (*Plan, error) {
	return BuildDesired(Flatten(desired, opts.OwnershipTag), current, opts)
}

// Desired is a desired state being flattened for one Build (a JSON round trip per entity), so
// that a caller can have it flattened while it still reads Kong, and Build flattens the
// current state meanwhile. It is used up by the Build it is given to.
type Desired struct {
	done chan struct{}
	side *side
	err  error
	used bool
}

// Flatten starts flattening desired and returns at once; desired must not change until
// BuildDesired returns. ownershipTag must be the Options' tag.
func Flatten(desired *kongstate.State, ownershipTag string) *Desired {
	d := &Desired{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.side, d.err = flatten(desired, ownershipTag)
	}()
	return d
}

// BuildDesired is Build of a desired state given to Flatten; it uses it up.
func BuildDesired(d *Desired, current *kongstate.State, opts Options) (*Plan, error) {
	have, haveErr := flatten(current, opts.OwnershipTag)
	<-d.done
	if d.used {
		return nil, fmt.Errorf("plan: a flattened desired state planned twice")
	}
	d.used = true
	want, err := d.side, d.err
	if err != nil {
		return nil, fmt.Errorf("desired state: %w", err)
	}
	if haveErr != nil {
		return nil, fmt.Errorf("current state: %w", haveErr)
	}
	want.resolve()
	have.resolve()
	p := &Plan{Managed: len(have.all), InScope: len(have.all)}
	if opts.MayDelete != nil {
		p.InScope = 0
		for _, e := range have.all {
			if opts.mayDelete(e) {
				p.InScope++
			}
		}
	}
	// A desired entity whose parent is missing cannot be written; it is left out alone.
	want.all = slices.DeleteFunc(want.all, func(e *entity) bool {
		for field, ref := range e.refs {
			if e.parents[field] == nil {
				p.Notes = append(p.Notes, fmt.Sprintf("%s %s left out: its %s %q is not in the desired state",
					e.kind.kind, e.name(), field, ref))
				return true
			}
		}
		return false
	})
	match(want, have)
	for _, e := range have.all {
		e.final = e.id
	}
	for _, e := range want.all {
		switch {
		case e.match != nil && e.match.id != "":
			e.final = e.match.id
		case e.id != "":
			e.final = e.id
		case !e.kind.addressByName:
			e.final = uuid.NewSHA1(idSpace, []byte(opts.Workspace+"/"+string(e.kind.kind)+"/"+e.keyOf())).String()
		}
	}
	b := &builder{plan: p, byEntity: map[*entity]*Op{}, secretConfig: opts.SecretConfig}
	frozen := frozenOf(want, opts)
	for i, c := range compareAll(want.all) {
		e := want.all[i]
		why := frozen[e]
		switch {
		case why != "" && e.match == nil:
			b.freeze(e, Create, c.body, nil, why)
		case why != "" && !c.same:
			b.freeze(e, Update, c.body, c.old, why)
		case e.match == nil:
			b.add(e, Create, c.body, nil)
		case c.same:
			p.Unchanged++
		default:
			b.add(e, Update, c.body, c.old)
		}
	}
	b.deletes(have, opts)
	b.link(want, have)
	return p, nil
}

// comparison is a desired entity's write body, and its current entity's body with whether
// the two are the same.
type comparison struct {
	body, old map[string]any
	same      bool
}

// compareAll compares every desired entity with its match, spread over the CPUs: each
// comparison is independent, and a sync with little to do spends its planning here.
func compareAll(es []*entity) []comparison {
	out := make([]comparison, len(es))
	workers := min(runtime.GOMAXPROCS(0), len(es)/256+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(es); i += workers {
				e := es[i]
				c := comparison{body: writeBody(e)}
				if e.match != nil {
					c.old = readBody(e.match)
					if e.kind.kind == KindPlugin {
						c.old = withoutAliases(c.body, c.old) // also keeps them out of printed diffs
					}
					c.same = equal(e.kind, c.body, c.old)
				}
				out[i] = c
			}
		})
	}
	wg.Wait()
	return out
}

// match pairs desired with current entities: by key first, then the leftovers by ID (a
// consumer whose custom_id changed keeps its ID, as its username derives it).
func match(want, have *side) {
	byKey := map[string]*entity{}
	byID := map[string]*entity{}
	for _, e := range have.all {
		byKey[string(e.kind.kind)+"\x00"+e.keyOf()] = e
		if e.id != "" {
			byID[string(e.kind.kind)+"\x00"+e.id] = e
		}
	}
	taken := map[*entity]bool{}
	for _, e := range want.all {
		if c := byKey[string(e.kind.kind)+"\x00"+e.keyOf()]; c != nil && !taken[c] {
			e.match, taken[c] = c, true
		}
	}
	for _, e := range want.all {
		if e.match != nil || e.id == "" {
			continue
		}
		if c := byID[string(e.kind.kind)+"\x00"+e.id]; c != nil && !taken[c] {
			e.match, taken[c] = c, true
		}
	}
	for _, e := range want.all {
		if e.match != nil {
			e.match.match = e // a current entity that stays points at its desired version
		}
	}
}

// writeBody is e as the Admin API takes it: its own fields, its ID and its foreign keys
// pointing at the IDs the plan settled on.
func writeBody(e *entity) map[string]any {
	if e.kind.addressBy != "" {
		return map[string]any{e.kind.addressBy: addressOf(e)}
	}
	body := clone(e.body)
	if e.final != "" && !e.kind.addressByName {
		body["id"] = e.final
	}
	for _, k := range e.kind.fks {
		if p := e.parents[k.field]; p != nil {
			body[k.field] = map[string]any{"id": p.final}
		}
	}
	return body
}

// readBody is a current entity in the same shape as writeBody.
func readBody(e *entity) map[string]any {
	if e.kind.addressBy != "" {
		return writeBody(e)
	}
	body := clone(e.body)
	if e.id != "" && !e.kind.addressByName {
		body["id"] = e.id
	}
	for _, k := range e.kind.fks {
		if ref, ok := e.refs[k.field]; ok {
			body[k.field] = map[string]any{"id": ref}
		}
	}
	return body
}

type builder struct {
	plan         *Plan
	byEntity     map[*entity]*Op
	secretConfig map[string][]string
}

func (b *builder) add(e *entity, a Action, body, old map[string]any) *Op {
	op := b.newOp(e, a, body, old)
	op.Index = len(b.plan.Ops)
	b.plan.Ops = append(b.plan.Ops, op)
	b.byEntity[e] = op
	return op
}

// freeze records a write the plan does not make, with why.
func (b *builder) freeze(e *entity, a Action, body, old map[string]any, why string) {
	op := b.newOp(e, a, body, old)
	op.Reason = why
	b.plan.Frozen = append(b.plan.Frozen, op)
}

// frozenOf is every desired entity that must not be written, with why: its own object failed
// translation, or it needs a parent that is not in Kong and is not written either (a plugin on
// a route withheld that way).
func frozenOf(want *side, opts Options) map[*entity]string {
	frozen := map[*entity]string{}
	if opts.Frozen == nil {
		return frozen
	}
	for _, e := range want.all {
		if why := opts.Frozen(tagsOf(e.body)); why != "" {
			frozen[e] = why
		}
	}
	for changed := len(frozen) > 0; changed; {
		changed = false
		for _, e := range want.all {
			if frozen[e] != "" {
				continue
			}
			for _, p := range e.parents {
				if frozen[p] != "" && p.match == nil {
					frozen[e] = fmt.Sprintf("its %s %s is not written: %s", p.kind.kind, p.name(), frozen[p])
					changed = true
					break
				}
			}
		}
	}
	return frozen
}

func (b *builder) newOp(e *entity, a Action, body, old map[string]any) *Op {
	op := &Op{Action: a, Kind: e.kind.kind, Name: e.name(), ID: e.final, Body: body, Old: old,
		secrets: b.secrets(e, body, old)}
	tagsFrom := body
	if tagsFrom == nil {
		tagsFrom = old
	}
	op.Object = ObjectOf(tagsOf(tagsFrom))
	addr := e.final
	if e.kind.addressByName {
		addr, _ = e.body["name"].(string)
	}
	if e.kind.addressBy != "" {
		addr = addressOf(e)
	}
	coll := collectionPath(e)
	item := coll + "/" + url.PathEscape(addr)
	switch a {
	case Create:
		op.Method, op.Path, op.UpsertPath = "POST", coll, item
		if e.kind.addressBy != "" {
			op.UpsertPath = "" // no PUT: a membership is only ever POSTed
		}
	case Update:
		op.Method, op.Path = "PUT", item
	case Delete:
		op.Method, op.Path = "DELETE", item
	}
	return op
}

// collectionPath is where e's kind lives; nested kinds live under their parent's ID.
func collectionPath(e *entity) string {
	sp := e.kind
	if sp.parent == "" {
		return sp.collection
	}
	parentSpec := specOf[fkKind(sp, sp.parent)]
	id := e.refs[sp.parent]
	if p := e.parents[sp.parent]; p != nil && p.final != "" {
		id = p.final
	}
	return parentSpec.collection + "/" + url.PathEscape(id) + "/" + sp.collection
}

// addressOf is the ID of the parent that addresses an entity of an addressBy kind: the
// settled ID of the parent on its side, else the raw reference.
func addressOf(e *entity) string {
	if p := e.parents[e.kind.addressBy]; p != nil && p.final != "" {
		return p.final
	}
	return e.refs[e.kind.addressBy]
}

func fkKind(sp *spec, field string) Kind {
	for _, k := range sp.fks {
		if k.field == field {
			return k.kind
		}
	}
	return ""
}

// deletes plans the removal of current entities nothing desired matched, children first,
// within the allowed scope; an entity still referenced by one that stays is withheld.
func (b *builder) deletes(have *side, opts Options) {
	var gone []*entity
	for _, e := range have.all {
		if e.match == nil {
			gone = append(gone, e)
		}
	}
	withhold := func(e *entity, why string) {
		op := b.newOp(e, Delete, nil, readBody(e))
		op.Reason = why
		b.plan.Withheld = append(b.plan.Withheld, op)
	}
	deleting := map[*entity]bool{}
	var outside []*entity
	for _, e := range gone {
		why := ""
		if opts.Frozen != nil {
			why = opts.Frozen(tagsOf(e.body))
		}
		switch {
		case why != "":
			b.freeze(e, Delete, nil, readBody(e), why)
		case !opts.AllowDeletes:
			why := opts.NoDeleteReason
			if why == "" {
				why = "the desired state may be incomplete"
			}
			withhold(e, why)
		case opts.MayDelete != nil && !opts.mayDelete(e):
			outside = append(outside, e)
		default:
			deleting[e] = true
		}
	}
	// A plugin instance belongs to what it is attached to as much as to its KongPlugin: one
	// whose route, service or consumer goes in scope goes with it (Kong would cascade it), even
	// when its KongPlugin, read whole, is outside the scope.
	for _, e := range outside {
		// Targets carry no object's tags (KIC's): mayDelete places one by its upstream's object,
		// and one whose upstream names none stays outside. But an upstream this sync desires
		// lists every target its Service's EndpointSlices give, so its targets that are gone are
		// this sync's to delete either way: the pod IPs of a rollout.
		if targetOfDesiredUpstream(e) {
			deleting[e] = true
			continue
		}
		if e.kind.kind == KindPlugin && slices.ContainsFunc(slices.Collect(maps.Values(e.parents)), func(p *entity) bool { return deleting[p] }) {
			deleting[e] = true
			continue
		}
		withhold(e, "outside the scope of this sync")
	}
	// An entity referenced by one that stays (out of scope, or a desired entity still pointing
	// at it) cannot be deleted: Kong would refuse, and the child would lose its parent.
	keep := func(p, c *entity) {
		delete(deleting, p)
		withhold(p, fmt.Sprintf("%s %s still refers to it", c.kind.kind, c.name()))
	}
	for changed := true; changed; {
		changed = false
		for _, c := range have.all {
			if deleting[c] {
				continue
			}
			for field, p := range c.parents {
				if p != nil && deleting[p] && !movesAway(c, field) {
					keep(p, c)
					changed = true
				}
			}
			for _, p := range c.listed {
				if deleting[p] && (c.match == nil || c.match.namesID(p.id)) {
					keep(p, c)
					changed = true
				}
			}
		}
	}
	// Children first: the order of specs reversed, so that plans read naturally; the DAG
	// edges are what enforce it.
	for i := len(specs) - 1; i >= 0; i-- {
		for _, e := range gone {
			if deleting[e] && e.kind.kind == specs[i].kind {
				if targetOfDesiredUpstream(e) {
					b.plan.TargetsReplaced++
				}
				b.add(e, Delete, nil, readBody(e))
			}
		}
	}
}

// targetOfDesiredUpstream reports whether e is a target of an upstream the desired state
// holds: the desired upstream lists every target it should have.
func targetOfDesiredUpstream(e *entity) bool {
	if e.kind.kind != KindTarget {
		return false
	}
	up := e.parents["upstream"]
	return up != nil && up.match != nil
}

// movesAway reports whether the desired version of current entity c points its field at
// another parent (so the old parent may go once c is updated).
func movesAway(c *entity, field string) bool {
	d := c.match
	if d == nil {
		return false
	}
	p := d.parents[field]
	return p == nil || p.final != c.refs[field]
}

// link adds the DAG's edges: a create or update waits for the creates of its parents; a
// delete waits for every op on entities that point at it now.
func (b *builder) link(want, have *side) {
	for _, e := range want.all {
		op := b.byEntity[e]
		if op == nil {
			continue
		}
		for _, p := range append(slices.Collect(maps.Values(e.parents)), e.listed...) {
			if pop := b.byEntity[p]; pop != nil && pop.Action == Create {
				op.DependsOn = append(op.DependsOn, pop.Index)
			}
		}
	}
	// desired entity → its op, to find ops on current children through their match.
	for _, c := range have.all {
		cop := b.byEntity[c]
		if c.match != nil {
			cop = b.byEntity[c.match]
		}
		if cop == nil {
			continue
		}
		for _, p := range append(slices.Collect(maps.Values(c.parents)), c.listed...) {
			if pop := b.byEntity[p]; pop != nil && pop.Action == Delete {
				pop.DependsOn = append(pop.DependsOn, cop.Index)
			}
		}
	}
	for _, op := range b.plan.Ops {
		slices.Sort(op.DependsOn)
		op.DependsOn = slices.Compact(op.DependsOn)
	}
}

// mayDelete applies MayDelete to e. An entity that names no Kubernetes object of its own (an
// upstream's target, a certificate's SNI, a credential without tags) belongs to the entity it
// hangs from: Kong deletes it with that parent, and the parent's object decides its scope. Without
// this, a namespace- or selector-scoped sync could never remove a dead pod's target.
func (opts Options) mayDelete(e *entity) bool {
	for seen := 0; e != nil && seen < 8; seen++ {
		tags := tagsOf(e.body)
		if ObjectOf(tags) != nil {
			return opts.MayDelete(tags)
		}
		e = owner(e)
	}
	return false
}

// owner is the one parent an entity hangs from, or nil when it has none or several.
func owner(e *entity) *entity {
	var found *entity
	for _, p := range e.parents {
		if p == nil {
			continue
		}
		if found != nil {
			return nil
		}
		found = p
	}
	return found
}

func tagsOf(body map[string]any) []string {
	raw, _ := body["tags"].([]any)
	out := make([]string, 0, len(raw))
	for _, t := range raw {
		if s, ok := t.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ObjectOf is the Kubernetes object an entity comes from, read from KIC's k8s-kind, k8s-namespace
// and k8s-name tags (nil when it names none).
func ObjectOf(tags []string) *Object {
	var o Object
	var group, version string
	for _, t := range tags {
		switch {
		case strings.HasPrefix(t, "k8s-uid:"):
			o.UID = strings.TrimPrefix(t, "k8s-uid:")
		case strings.HasPrefix(t, "k8s-group:"):
			group = strings.TrimPrefix(t, "k8s-group:")
		case strings.HasPrefix(t, "k8s-version:"):
			version = strings.TrimPrefix(t, "k8s-version:")
		case strings.HasPrefix(t, "k8s-kind:"):
			o.Kind = strings.TrimPrefix(t, "k8s-kind:")
		case strings.HasPrefix(t, "k8s-namespace:"):
			o.Namespace = strings.TrimPrefix(t, "k8s-namespace:")
		case strings.HasPrefix(t, "k8s-name:"):
			o.Name = strings.TrimPrefix(t, "k8s-name:")
		}
	}
	if o.Kind == "" && o.Name == "" {
		return nil
	}
	o.APIVersion = version
	if group != "" {
		o.APIVersion = group + "/" + version
	}
	return &o
}
