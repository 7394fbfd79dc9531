package kongstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kong/go-kong/kong"
	"sigs.k8s.io/yaml"
)

// IDs below are the ones KIC 3.5 produced for the same names (its golden files
// ingress-v1-rule-with-tls and credentials), so equality means KIC parity.
func TestFillIDsMatchesKIC(t *testing.T) {
	s := &State{
		Services: []*Service{{
			Service: kong.Service{Name: kong.String("bar-namespace.foo-svc.80")},
			Routes:  []*Route{{Route: kong.Route{Name: kong.String("bar-namespace.ing-with-tls.foo-svc.example.com.80")}}},
		}},
		Consumers: []*Consumer{
			{Consumer: kong.Consumer{Username: kong.String("consumer")}},
			{Consumer: kong.Consumer{CustomID: kong.String("only-custom-id")}},
		},
	}
	if errs := s.FillIDs(""); len(errs) != 0 {
		t.Fatalf("FillIDs: %v", errs)
	}
	tests := []struct {
		name string
		got  *string
		want string
	}{
		{"service", s.Services[0].ID, "edc1d53e-73b4-5932-9455-0e01f0d53e3f"},
		{"route", s.Services[0].Routes[0].ID, "fc9a8135-0253-5631-b1e0-8712f796a4e2"},
		{"consumer", s.Consumers[0].ID, "7deb6e70-60be-5dd2-b374-06551479ea5e"},
	}
	for _, tt := range tests {
		if tt.got == nil || *tt.got != tt.want {
			t.Errorf("%s id = %v, want %s", tt.name, deref(tt.got), tt.want)
		}
	}
	if s.Consumers[1].ID != nil {
		t.Errorf("consumer with only custom_id got id %s; KIC leaves it without", *s.Consumers[1].ID)
	}
}

func TestFillIDsWorkspaceChangesIDsAndKeepsExisting(t *testing.T) {
	plain := &State{Services: []*Service{{Service: kong.Service{Name: kong.String("svc")}}}}
	ws := &State{Services: []*Service{{Service: kong.Service{Name: kong.String("svc")}}}}
	kept := &State{Services: []*Service{{Service: kong.Service{Name: kong.String("svc"), ID: kong.String("given")}}}}
	for _, s := range []*State{plain, kept} {
		if errs := s.FillIDs(""); len(errs) != 0 {
			t.Fatal(errs)
		}
	}
	if errs := ws.FillIDs("team"); len(errs) != 0 {
		t.Fatal(errs)
	}
	if *plain.Services[0].ID == *ws.Services[0].ID {
		t.Errorf("workspace did not change the id: both %s", *ws.Services[0].ID)
	}
	if *kept.Services[0].ID != "given" {
		t.Errorf("existing id replaced by %s", *kept.Services[0].ID)
	}
}

func TestFillIDsPluginIDDependsOnAttachments(t *testing.T) {
	a := &kong.Plugin{Name: kong.String("cors"), Service: &kong.Service{ID: kong.String("ns.svc.80")}}
	b := &kong.Plugin{Name: kong.String("cors"), Route: &kong.Route{ID: kong.String("ns.svc.80")}}
	s := &State{Plugins: []*kong.Plugin{a, b}}
	if errs := s.FillIDs(""); len(errs) != 0 {
		t.Fatal(errs)
	}
	if a.ID == nil || b.ID == nil || *a.ID == *b.ID {
		t.Fatalf("plugins attached to a service and a route of the same name must differ: %v %v", deref(a.ID), deref(b.ID))
	}
}

func TestToDeckOrdersAndDefaultsAsDeckgen(t *testing.T) {
	s := &State{
		Services: []*Service{
			{Service: kong.Service{Name: kong.String("a")}, Routes: []*Route{
				{Route: kong.Route{Name: kong.String("r1")}},
				{Route: kong.Route{Name: kong.String("r2"), HTTPSRedirectStatusCode: kong.Int(301), PathHandling: kong.String("v1")}},
			}},
			{Service: kong.Service{Name: kong.String("b")}},
		},
		Upstreams: []*Upstream{{Upstream: kong.Upstream{Name: kong.String("u")}, Targets: []*kong.Target{
			{Target: kong.String("10.0.0.1:80")}, {Target: kong.String("10.0.0.2:80")},
		}}},
		Consumers: []*Consumer{
			{Consumer: kong.Consumer{Username: kong.String("zed")}},
			{Consumer: kong.Consumer{CustomID: kong.String("only-id")}},
			{Consumer: kong.Consumer{Username: kong.String("amy")}},
		},
		Certificates: []*Certificate{{Certificate: kong.Certificate{ID: kong.String("c1"), Cert: kong.String("PEM"), SNIs: kong.StringSlice("x.example.com")}}},
	}
	c := ToDeck(s, DeckOptions{SelectTags: []string{"owner"}})
	if got := []string{*c.Services[0].Name, *c.Services[1].Name}; got[0] != "b" || got[1] != "a" {
		t.Errorf("services order %v, want names descending [b a]", got)
	}
	routes := c.Services[1].Routes
	if *routes[0].Name != "r2" || *routes[1].HTTPSRedirectStatusCode != 426 || *routes[1].PathHandling != "v0" {
		t.Errorf("routes: want r2 first, and r1 defaulted to 426/v0; got %s %d %s", *routes[0].Name, *routes[1].HTTPSRedirectStatusCode, *routes[1].PathHandling)
	}
	if *routes[0].HTTPSRedirectStatusCode != 301 || *routes[0].PathHandling != "v1" {
		t.Errorf("explicit route values overwritten: %d %s", *routes[0].HTTPSRedirectStatusCode, *routes[0].PathHandling)
	}
	if *c.Upstreams[0].Algorithm != "round-robin" || *c.Upstreams[0].Targets[0].Target.Target != "10.0.0.2:80" {
		t.Errorf("upstream: want round-robin and targets descending, got %s first %s", *c.Upstreams[0].Algorithm, *c.Upstreams[0].Targets[0].Target.Target)
	}
	var order []string
	for _, con := range c.Consumers {
		order = append(order, deref(con.Username)+"/"+deref(con.CustomID))
	}
	if strings.Join(order, ",") != "/only-id,amy/,zed/" {
		t.Errorf("consumers order %v, want username-less first then ascending", order)
	}
	sni := c.Certificates[0].SNIs[0]
	if *sni.Name != "x.example.com" || *sni.Certificate.ID != "c1" || len(sni.Tags) != 1 || *sni.Tags[0] != "owner" {
		t.Errorf("sni %+v: want name, certificate id and the select tag", sni)
	}
	if c.Info == nil || len(c.Info.SelectorTags) != 1 || c.Info.SelectorTags[0] != "owner" {
		t.Errorf("_info.select_tags = %+v", c.Info)
	}
	if s.Services[0].Routes[0].HTTPSRedirectStatusCode != nil {
		t.Error("ToDeck modified the state")
	}
}

func TestMergeTagsAppendsOnce(t *testing.T) {
	s := &State{
		Services: []*Service{{Service: kong.Service{Name: kong.String("s"), Tags: kong.StringSlice("k8s-name:s")}}},
		Consumers: []*Consumer{{
			Consumer: kong.Consumer{Username: kong.String("c")},
			KeyAuths: []*kong.KeyAuth{{Key: kong.String("k")}},
		}},
	}
	s.MergeTags("owner")
	s.MergeTags("owner")
	if got := *s.Services[0].Tags[1]; len(s.Services[0].Tags) != 2 || got != "owner" {
		t.Errorf("service tags %v", s.Services[0].Tags)
	}
	if len(s.Consumers[0].KeyAuths[0].Tags) != 1 {
		t.Errorf("credential tags %v", s.Consumers[0].KeyAuths[0].Tags)
	}
}

func TestWriteFormats(t *testing.T) {
	s := &State{Services: []*Service{{Service: kong.Service{Name: kong.String("s")}}}}
	tests := []struct {
		format Format
		check  func([]byte) error
	}{
		{FormatDeck, func(b []byte) error {
			var m map[string]any
			if err := yaml.Unmarshal(b, &m); err != nil {
				return err
			}
			if m["_format_version"] != "3.0" {
				return fmt.Errorf("no _format_version 3.0 in %s", b)
			}
			return nil
		}},
		{FormatJSON, func(b []byte) error {
			var st State
			return json.Unmarshal(b, &st)
		}},
		{FormatYAML, func(b []byte) error {
			var st State
			return yaml.Unmarshal(b, &st)
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, s, tt.format, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := tt.check(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := Write(&bytes.Buffer{}, s, "toml", WriteOptions{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestReadDeckRoundTrips(t *testing.T) {
	s := &State{
		Services: []*Service{{
			Service: kong.Service{Name: kong.String("svc"), Host: kong.String("h"), Tags: kong.StringSlice("t")},
			Routes: []*Route{{
				Route:   kong.Route{Name: kong.String("r"), Paths: kong.StringSlice("/")},
				Plugins: []*kong.Plugin{{Name: kong.String("request-transformer")}},
			}},
		}},
		Upstreams:    []*Upstream{{Upstream: kong.Upstream{Name: kong.String("h")}, Targets: []*kong.Target{{Target: kong.String("10.0.0.1:80")}}}},
		Certificates: []*Certificate{{Certificate: kong.Certificate{ID: kong.String("c"), Cert: kong.String("C"), Key: kong.String("K"), SNIs: kong.StringSlice("a.example.com")}}},
		Plugins:      []*kong.Plugin{{Name: kong.String("cors"), Service: &kong.Service{ID: kong.String("svc")}}},
		Consumers: []*Consumer{{
			Consumer: kong.Consumer{Username: kong.String("u")},
			KeyAuths: []*kong.KeyAuth{{Key: kong.String("k")}},
			Groups:   []*kong.ConsumerGroup{{Name: kong.String("g")}},
		}},
		ConsumerGroups: []*ConsumerGroup{{ConsumerGroup: kong.ConsumerGroup{Name: kong.String("g")}}},
		Vaults:         []*kong.Vault{{Name: kong.String("env"), Prefix: kong.String("p")}},
	}
	opts := WriteOptions{DeckOptions: DeckOptions{SelectTags: []string{"owner"}}, ShowSecrets: true}
	var first bytes.Buffer
	if err := Write(&first, s, FormatDeck, opts); err != nil {
		t.Fatal(err)
	}
	back, tags, err := ReadDeck(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 1 || tags[0] != "owner" {
		t.Errorf("select tags = %v", tags)
	}
	var second bytes.Buffer
	if err := Write(&second, back, FormatDeck, opts); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("deck output changed after a round trip:\n%s\n---\n%s", first.String(), second.String())
	}
	if back.Count() != s.Count() {
		t.Errorf("counts %+v, want %+v", back.Count(), s.Count())
	}
	if _, _, err := ReadDeck(strings.NewReader("services: [")); err == nil {
		t.Error("malformed file accepted")
	}
}
