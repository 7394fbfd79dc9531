package apply

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/plan"
)

const tag = "managed-by-kongdb"

// store is a Kong that holds entities by path (POST to a collection stores at its id or name,
// 409 when taken), and loses the reply of the first POST when dropFirstReply is set, after
// storing it when landFirst is set. It records every request.
type store struct {
	mu             sync.Mutex
	byPath         map[string]map[string]any
	dropFirstReply bool
	landFirst      bool
	posts          int
	seen           []string
	// status, when set, answers instead of the store (method, n-th request of that method).
	status func(method string, n int) (int, string, http.Header)
	counts map[string]int
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Method+" "+r.URL.Path)
	if s.counts == nil {
		s.counts = map[string]int{}
	}
	s.counts[r.Method]++
	if s.status != nil {
		if code, body, hdr := s.status(r.Method, s.counts[r.Method]); code != 0 {
			for k, v := range hdr {
				w.Header()[k] = v
			}
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
			return
		}
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch r.Method {
	case http.MethodPost:
		s.posts++
		key, _ := body["id"].(string)
		if key == "" {
			key, _ = body["name"].(string)
		}
		path := r.URL.Path + "/" + key
		if s.posts == 1 && s.dropFirstReply {
			if s.landFirst {
				s.byPath[path] = body
			}
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		if _, taken := s.byPath[path]; taken {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"code":5,"name":"unique constraint violation"}`))
			return
		}
		s.byPath[path] = body
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	case http.MethodPut:
		s.byPath[r.URL.Path] = body
		_ = json.NewEncoder(w).Encode(body)
	case http.MethodGet:
		e, ok := s.byPath[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(e)
	case http.MethodDelete:
		delete(s.byPath, r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *store) sent(method string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.seen {
		if strings.HasPrefix(r, method+" ") {
			out = append(out, r)
		}
	}
	return out
}

func (s *store) pool(t *testing.T) *Pool {
	t.Helper()
	// Two nodes of one database: a broken connection takes the first out of the pool.
	return nodes(t, kong(t, s).URL, kong(t, s).URL)
}

func createOp(kind plan.Kind, coll, key string, body map[string]any) *plan.Plan {
	return &plan.Plan{Ops: []*plan.Op{{Action: plan.Create, Kind: kind, Name: key, Method: "POST", Path: coll,
		UpsertPath: coll + "/" + key, Body: body}}}
}

// TestCreateWhoseReplyWasLostNeverOverwrites: a create whose reply was lost is followed by a
// read of its ID (or an SNI's name): ours → done without writing again, absent → created,
// someone else's → conflict, left untouched. On the old main the retry was a PUT of the ID
// or name, which replaced someone else's entity (an SNI moved to our certificate); the
// "someone else's" cases fail there.
func TestCreateWhoseReplyWasLostNeverOverwrites(t *testing.T) {
	foreignSNI := map[string]any{"name": "shop.example.com", "certificate": map[string]any{"id": "theirs"}}
	ourSNI := map[string]any{"name": "shop.example.com", "certificate": map[string]any{"id": "ours"}, "tags": []any{tag}}
	cases := []struct {
		name      string
		op        *plan.Plan
		landFirst bool
		before    map[string]map[string]any
		want      Status
		wantPosts int
		// after is what must be at the path once the op ended.
		after map[string]any
	}{
		{name: "the create landed: done, nothing written again", landFirst: true, want: Done, wantPosts: 1,
			op: createOp(plan.KindService, "/services", "s1", map[string]any{"id": "s1", "tags": []any{tag}})},
		{name: "the create did not land: created", want: Done, wantPosts: 2,
			op: createOp(plan.KindService, "/services", "s1", map[string]any{"id": "s1", "tags": []any{tag}})},
		{name: "someone else's service holds the ID: conflict, untouched", want: Conflict, wantPosts: 1,
			before: map[string]map[string]any{"/services/s1": {"id": "s1", "host": "theirs"}},
			op:     createOp(plan.KindService, "/services", "s1", map[string]any{"id": "s1", "host": "ours", "tags": []any{tag}}),
			after:  map[string]any{"id": "s1", "host": "theirs"}},
		{name: "someone else's SNI holds the name: conflict, their certificate keeps it", want: Conflict, wantPosts: 1,
			before: map[string]map[string]any{"/snis/shop.example.com": foreignSNI},
			op:     createOp(plan.KindSNI, "/snis", "shop.example.com", ourSNI),
			after:  foreignSNI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &store{byPath: map[string]map[string]any{}, dropFirstReply: true, landFirst: tc.landFirst}
			for p, e := range tc.before {
				s.byPath[p] = e
			}
			out := Run(t.Context(), tc.op, s.pool(t), Options{Backoff: time.Millisecond, OwnershipTag: tag})
			res := out.Results[0]
			if res.Status != tc.want {
				t.Fatalf("status %s (%s), want %s; requests %v", res.Status, res.Error, tc.want, s.seen)
			}
			if puts := s.sent("PUT"); len(puts) > 0 {
				t.Errorf("a create became an overwrite: %v", puts)
			}
			if n := len(s.sent("POST")); n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d: %v", n, tc.wantPosts, s.seen)
			}
			if tc.want == Conflict && !strings.Contains(res.Blocker, "not owned by this sync") {
				t.Errorf("conflict does not name the entity in the way: %q", res.Blocker)
			}
			if tc.after != nil {
				got, _ := json.Marshal(s.byPath[tc.op.Ops[0].UpsertPath])
				want, _ := json.Marshal(tc.after)
				if string(got) != string(want) {
					t.Errorf("entity after the sync = %s, want it untouched: %s", got, want)
				}
			}
		})
	}
}

// TestWriteOnEntityNotReadAsOwnedIsRefused: an update or delete whose entity was not read with
// the ownership tag is a conflict and sends nothing. On the old main it was sent.
func TestWriteOnEntityNotReadAsOwnedIsRefused(t *testing.T) {
	for _, action := range []plan.Action{plan.Update, plan.Delete} {
		t.Run(string(action), func(t *testing.T) {
			s := &store{byPath: map[string]map[string]any{"/snis/shop.example.com": {"name": "shop.example.com"}}}
			method := map[plan.Action]string{plan.Update: "PUT", plan.Delete: "DELETE"}[action]
			op := &plan.Op{Action: action, Kind: plan.KindSNI, Name: "shop.example.com", Method: method, Path: "/snis/shop.example.com",
				Old: map[string]any{"name": "shop.example.com", "tags": []any{"someone-else"}}}
			if action == plan.Update {
				op.Body = map[string]any{"name": "shop.example.com", "tags": []any{tag}}
			}
			out := Run(t.Context(), &plan.Plan{Ops: []*plan.Op{op}}, s.pool(t), Options{OwnershipTag: tag})
			if res := out.Results[0]; res.Status != Conflict || res.Blocker == "" {
				t.Fatalf("result %+v, want a conflict naming the entity", res)
			}
			if len(s.seen) != 0 {
				t.Fatalf("sent %v for an entity not read as owned", s.seen)
			}
		})
	}
}

// TestRateLimitedWriteIsRetried: a 429 is not final. On the old main the op failed.
func TestRateLimitedWriteIsRetried(t *testing.T) {
	s := &store{byPath: map[string]map[string]any{}, status: func(method string, n int) (int, string, http.Header) {
		if method == http.MethodPost && n <= 2 {
			return http.StatusTooManyRequests, `{"message":"API rate limit exceeded"}`, http.Header{"Retry-After": {"0"}}
		}
		return 0, "", nil
	}}
	out := Run(t.Context(), createOp(plan.KindService, "/services", "s1", map[string]any{"id": "s1"}), s.pool(t), Options{OwnershipTag: tag})
	if res := out.Results[0]; res.Status != Done {
		t.Fatalf("rate-limited create: %s %s", res.Status, res.Error)
	}
	if n := len(s.sent("POST")); n != 3 {
		t.Errorf("%d POSTs, want 3 (two refused, one accepted)", n)
	}
}

// TestKongErrorBodyIsRedacted: Kong's 409 on a key-auth quotes the key in its message and in
// "fields"; the result (and so the report, -o json, logs and Events) never holds it. On the
// old main the key was in the result's error.
func TestKongErrorBodyIsRedacted(t *testing.T) {
	const key = "s3cr3t-key-42"
	body := `{"code":5,"name":"unique constraint violation","message":"UNIQUE violation detected on '{key=\"` + key + `\"}'","fields":{"key":"` + key + `"}}`
	s := &store{byPath: map[string]map[string]any{}, status: func(string, int) (int, string, http.Header) {
		return http.StatusConflict, body, nil
	}}
	p := createOp(plan.KindKeyAuth, "/consumers/c1/key-auth", "k1", map[string]any{"id": "k1", "key": key})
	out := Run(t.Context(), p, s.pool(t), Options{OwnershipTag: tag})
	res := out.Results[0]
	for _, leak := range []string{key, "s3cr3t"} {
		if strings.Contains(res.Error, leak) || strings.Contains(res.Blocker, leak) {
			t.Errorf("result quotes the key (%q): %s / %s", leak, res.Error, res.Blocker)
		}
	}
	if !strings.Contains(res.Error, "unique constraint violation") {
		t.Errorf("the redacted error lost Kong's reason: %s", res.Error)
	}
	foreign := RedactKongError(p.Ops[0], `{"fields":{"key":"somebody-elses"},"message":"UNIQUE violation detected on '{key=\"somebody-elses\"}'"}`)
	if strings.Contains(foreign, "somebody-elses") {
		t.Errorf("a credential value Kong quotes that is not ours is shown: %s", foreign)
	}
}

// stalled is a context whose deadline passed while its timer has not fired yet, as a process
// that stalled past its lock's lease sees it on waking.
type stalled struct{ context.Context }

func (stalled) Deadline() (time.Time, bool) { return time.Now().Add(-time.Second), true }

// TestNoWriteAfterTheDeadlinePassed: a run under a context whose deadline passed sends nothing,
// even before the context's timer fires. On the old main every op was sent.
func TestNoWriteAfterTheDeadlinePassed(t *testing.T) {
	s := &store{byPath: map[string]map[string]any{}}
	out := Run(stalled{t.Context()}, chain(), s.pool(t), Options{OwnershipTag: tag})
	if len(s.seen) != 0 {
		t.Fatalf("sent %v after the deadline", s.seen)
	}
	for _, r := range out.Results {
		if r.Status == Done {
			t.Fatalf("op %s done after the deadline", r.Op.Name)
		}
	}
}

// TestMembershipDriftIsRepaired: a membership carries no tags (Kong Enterprise's
// /consumer_groups/{g}/consumers lists bare consumers), so the ownership check must not refuse
// the delete the plan makes to repair it. On the old main the delete ended as a conflict and
// was never sent, leaving the extra membership in place.
func TestMembershipDriftIsRepaired(t *testing.T) {
	s := &store{byPath: map[string]map[string]any{"/consumer_groups/s1/consumers/a1": {"consumer": "a1"}}}
	op := &plan.Op{Action: plan.Delete, Kind: plan.KindConsumerGroupMember, Name: "alice in silver",
		Method: "DELETE", Path: "/consumer_groups/s1/consumers/a1", Old: map[string]any{"consumer": "a1"}}
	out := Run(t.Context(), &plan.Plan{Ops: []*plan.Op{op}}, s.pool(t), Options{OwnershipTag: tag})
	if res := out.Results[0]; res.Status != Done {
		t.Fatalf("membership delete: %s %s %s", res.Status, res.Error, res.Blocker)
	}
	if got := s.sent("DELETE"); len(got) != 1 || got[0] != "DELETE /consumer_groups/s1/consumers/a1" {
		t.Fatalf("sent %v, want the membership's DELETE", got)
	}
}
