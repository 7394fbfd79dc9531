// Package validate finds the mistakes a sync would meet, without writing anything: the
// objects that fail translation, every entity the sync would create or change checked by Kong
// itself (POST /schemas/{entity}/validate, /schemas/plugins/validate), the conflicts and
// refusals the plan already predicts, and the unique credentials another consumer holds in
// Kong. Each problem names the Kubernetes object and its field; secret values are never
// part of a problem.
//
// It works on a plan and the Admin APIs, not on the engine, so that the engine can run the
// same checks before it writes (sync --preflight).
package validate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/kong/go-kong/kong"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
	"github.com/kongdb/kubectl-kongdb/pkg/plan"
	"github.com/kongdb/kubectl-kongdb/pkg/preflight"
	"github.com/kongdb/kubectl-kongdb/pkg/translate"
)

// The checks a problem comes from.
const (
	CheckTranslation = "translation"
	CheckSchema      = "kong-schema"
	CheckConflict    = "conflict"
	CheckPreflight   = "preflight"
	CheckCredential  = "credential"
)

// DefaultConcurrency is the number of Admin API requests in flight at once.
const DefaultConcurrency = 8

// Problem is one mistake, on one field of one Kubernetes object.
type Problem struct {
	// Object is "Kind namespace/name"; Field the object's field at fault, or "Kong field
	// <path>" when no field of the object maps to Kong's.
	Object string `json:"object,omitempty"`
	Field  string `json:"field,omitempty"`
	// Problem is what is wrong, in Kong's words where Kong said it.
	Problem string `json:"problem"`
	// Check is which check found it (translation, kong-schema, conflict, preflight, credential);
	// Entity the Kong entity ("plugin rate-limiting ...") when there is one.
	Check  string `json:"check"`
	Entity string `json:"entity,omitempty"`
	// Op is the plan's op the problem is about (nil for a translation problem).
	Op *plan.Op `json:"-"`
}

// Sort orders problems by object, field and text, so that a report reads the same every run.
func Sort(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Problem, b.Problem))
	})
}

// Translation are the translation errors, one problem each (warnings leave nothing out and are
// not problems).
func Translation(diags translate.Diagnostics) []Problem {
	var out []Problem
	for _, d := range diags.Errors() {
		out = append(out, Problem{Object: d.Object(), Field: d.Field, Problem: d.Reason, Check: CheckTranslation})
	}
	return out
}

// Planned are the problems the plan already knows: creates that meet an entity someone else
// holds (Op.Conflict, set by apply.FindConflicts) and ops Kong would refuse for a known
// reason (preflight findings).
func Planned(p *plan.Plan, refused []preflight.Finding) []Problem {
	var out []Problem
	for _, op := range p.Ops {
		if op.Conflict != "" {
			out = append(out, Problem{Object: op.Object.String(), Field: keyField(op), Problem: op.Conflict,
				Check: CheckConflict, Entity: entityOf(op), Op: op})
		}
	}
	for _, f := range refused {
		out = append(out, Problem{Object: f.Object, Field: f.Field, Problem: f.Reason, Check: CheckPreflight,
			Entity: f.Kind + " " + f.Name})
	}
	return out
}

// keyField is the Kong field a conflict is on: the first identifying field the body has.
func keyField(op *plan.Op) string {
	for _, f := range []string{"name", "username", "prefix"} {
		if v, _ := op.Body[f].(string); v != "" {
			return preflight.ObjectField(objKind(op), string(op.Kind), f)
		}
	}
	return preflight.ObjectField(objKind(op), string(op.Kind), "id")
}

func objKind(op *plan.Op) string {
	if op.Object == nil {
		return ""
	}
	return op.Object.Kind
}

func entityOf(op *plan.Op) string { return string(op.Kind) + " " + op.Name }

// Kong asks Kong, through the first node of nodes that answers, to validate every entity p
// would create or update, and looks up the unique credentials p would create in what Kong
// holds. concurrency bounds the requests in flight (0: DefaultConcurrency). An error means
// no node could answer: the checks did not run.
func Kong(ctx context.Context, nodes []*admin.Node, p *plan.Plan, concurrency int) ([]Problem, error) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	var (
		mu   sync.Mutex
		out  []Problem
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, concurrency)
	changed := map[string]bool{} // IDs of owned entities the plan updates or deletes
	for _, op := range p.Ops {
		if op.ID != "" && op.Action != plan.Create {
			changed[op.ID] = true
		}
	}
	for _, op := range p.Ops {
		if op.Body == nil || op.Action == plan.Delete || op.Refused != "" {
			continue
		}
		checks := []func(context.Context, []*admin.Node, *plan.Op, map[string]bool) ([]Problem, error){schema}
		if op.Action == plan.Create && uniqueCredential[op.Kind].collection != "" {
			checks = append(checks, credential)
		}
		for _, check := range checks {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				ps, err := check(ctx, nodes, op, changed)
				mu.Lock()
				defer mu.Unlock()
				out = append(out, ps...)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", entityOf(op), err))
				}
			})
		}
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// schema asks Kong to validate op's body.
func schema(ctx context.Context, nodes []*admin.Node, op *plan.Op, _ map[string]bool) ([]Problem, error) {
	name := preflight.SchemaName(string(op.Kind))
	if name == "" {
		return nil, nil
	}
	var refusal *admin.Error
	err := onAnyNode(ctx, nodes, func(c *kong.Client) error {
		err := admin.Do(ctx, c, http.MethodPost, "/schemas/"+name+"/validate", nil, op.Body, nil)
		if e := (*admin.Error)(nil); errors.As(err, &e) && e.Status == http.StatusBadRequest {
			refusal = e
			return nil
		}
		return err
	})
	if err != nil || refusal == nil {
		return nil, err
	}
	return Refusal(op, refusal.Body), nil
}

// Refusal turns Kong's 400 body for op (its "fields" map, else its message) into problems, one
// per field, with op's secret values replaced by kongstate.RedactedValue.
func Refusal(op *plan.Op, body string) []Problem {
	var kerr struct {
		Message string `json:"message"`
		Fields  any    `json:"fields"`
	}
	fields := []FieldError{{Message: body}}
	if jsonUnmarshal(body, &kerr) == nil {
		if fs := Flatten(kerr.Fields); len(fs) > 0 {
			fields = fs
		} else if kerr.Message != "" {
			fields = []FieldError{{Message: kerr.Message}}
		}
	}
	hide := secretValues(op)
	var out []Problem
	for _, f := range fields {
		p := Problem{Object: op.Object.String(), Problem: hideValues(f.Message, hide), Check: CheckSchema, Entity: entityOf(op), Op: op}
		if f.Path != "" {
			p.Field = preflight.ObjectField(objKind(op), string(op.Kind), f.Path)
		}
		out = append(out, p)
	}
	return out
}

// uniqueCredential says, for a credential kind, where Kong serves it by its unique field.
var uniqueCredential = map[plan.Kind]struct{ collection, field string }{
	plan.KindKeyAuth:   {"/key-auths", "key"},
	plan.KindBasicAuth: {"/basic-auths", "username"},
	plan.KindHMACAuth:  {"/hmac-auths", "username"},
	plan.KindJWT:       {"/jwts", "key"},
	plan.KindOAuth2:    {"/oauth2", "client_id"},
}

// credential looks up the credential Kong holds under op's unique field: one this sync does not
// change, held by any consumer, makes Kong refuse the create (a unique violation). The value
// itself (a key) is never part of the problem.
func credential(ctx context.Context, nodes []*admin.Node, op *plan.Op, changed map[string]bool) ([]Problem, error) {
	u := uniqueCredential[op.Kind]
	v, _ := op.Body[u.field].(string)
	if v == "" {
		return nil, nil
	}
	var held struct {
		ID       string `json:"id"`
		Consumer struct {
			ID string `json:"id"`
		} `json:"consumer"`
	}
	found := false
	err := onAnyNode(ctx, nodes, func(c *kong.Client) error {
		err := admin.Do(ctx, c, http.MethodGet, u.collection+"/"+url.PathEscape(v), nil, nil, &held)
		if e := (*admin.Error)(nil); errors.As(err, &e) && e.Status == http.StatusNotFound {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil || !found || changed[held.ID] || held.ID == idOf(op.Body) {
		return nil, err
	}
	who := "consumer " + held.Consumer.ID
	var consumer struct {
		Username string `json:"username"`
		CustomID string `json:"custom_id"`
	}
	if onAnyNode(ctx, nodes, func(c *kong.Client) error {
		return admin.Do(ctx, c, http.MethodGet, "/consumers/"+url.PathEscape(held.Consumer.ID), nil, nil, &consumer)
	}) == nil {
		if name := cmp.Or(consumer.Username, consumer.CustomID); name != "" {
			who = fmt.Sprintf("consumer %q (id %s)", name, held.Consumer.ID)
		}
	}
	field := u.field
	if objKind(op) == "Secret" {
		field = "data." + u.field
	}
	same := ""
	if fk, _ := op.Body["consumer"].(map[string]any); fk != nil && fk["id"] == held.Consumer.ID {
		same = " (the same consumer, in a credential this sync does not own)"
	}
	return []Problem{{Object: op.Object.String(), Field: field, Check: CheckCredential, Entity: entityOf(op), Op: op,
		Problem: fmt.Sprintf("%s credential with this %s already exists in Kong, held by %s%s: Kong refuses a second one (unique %s)",
			op.Kind, u.field, who, same, u.field)}}, nil
}

func idOf(body map[string]any) string { s, _ := body["id"].(string); return s }

// onAnyNode runs do on each node's client in turn until one answers: Kong's own answer (an
// *admin.Error) or the end of ctx ends the turn, as the engine's OnAnyNode does.
func onAnyNode(ctx context.Context, nodes []*admin.Node, do func(*kong.Client) error) error {
	var errs []error
	for _, n := range nodes {
		err := do(n.Client)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("kong at %s: %w", n.URL, err))
		var apiErr *admin.Error
		if errors.As(err, &apiErr) || ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return errors.New("no kong node to ask")
	}
	return errors.Join(errs...)
}

// secretValues are the strings of op's body that its redacted body hides.
func secretValues(op *plan.Op) []string {
	red, _ := op.Redacted()
	var out []string
	var walk func(a, b any)
	walk = func(a, b any) {
		switch x := a.(type) {
		case map[string]any:
			y, _ := b.(map[string]any)
			for k, v := range x {
				walk(v, y[k])
			}
		case []any:
			y, _ := b.([]any)
			for i, v := range x {
				var w any
				if i < len(y) {
					w = y[i]
				}
				walk(v, w)
			}
		case string:
			if b == kongstate.RedactedValue && x != "" && x != kongstate.RedactedValue {
				out = append(out, x)
			}
		}
	}
	walk(op.Body, red)
	// Longest first, so that a secret containing another is hidden whole.
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}

func hideValues(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, kongstate.RedactedValue)
	}
	return s
}

// String is "<object> <field>: <problem>", for logs and errors.
func (p Problem) String() string {
	where := strings.TrimSpace(p.Object + " " + p.Field)
	if where == "" {
		where = p.Entity
	}
	return where + ": " + p.Problem
}

// BeforeWrite is the part of p a sync's preflight checks with Kong: every op but the targets'.
// A target is an address and port from an EndpointSlice (or an ExternalName Service's host),
// which the API server has validated already, and targets are the most numerous entities of
// a sync (three per Service at the benchmark's size, and nearly every op of a rollout), so
// checking them would cost a request each for nothing. `validate` itself checks them all.
func BeforeWrite(p *plan.Plan) *plan.Plan {
	return &plan.Plan{Ops: slices.DeleteFunc(slices.Clone(p.Ops), func(op *plan.Op) bool { return op.Kind == plan.KindTarget })}
}
