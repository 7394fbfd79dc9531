package translate

import (
	"slices"
	"testing"

	netv1 "k8s.io/api/networking/v1"
)

func TestRewriteURIConfig(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "/", want: "/"},
		{in: "/a/$1/b", want: "/a/$(uri_captures[1])/b"},
		{in: "$12$3", want: "$(uri_captures[12])$(uri_captures[3])"},
		{in: `/cost/\$5`, want: "/cost/$5"},
		{in: "/x/$", wantErr: true},
		{in: "/x/$a", wantErr: true},
		{in: `/x\y`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := rewriteURIConfig(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("rewriteURIConfig(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPathsFromIngressPath(t *testing.T) {
	tests := []struct {
		path     string
		pathType netv1.PathType
		want     []string
	}{
		{"/", netv1.PathTypePrefix, []string{"/"}},
		{"/foo/", netv1.PathTypePrefix, []string{"/foo/", "~/foo$"}},
		{"/foo", netv1.PathTypeExact, []string{"~/foo$"}},
		{"/", netv1.PathTypeExact, []string{"~/$"}},
		{"/~/re[0-9]", netv1.PathTypeImplementationSpecific, []string{"/~/re[0-9]"}},
		{"/x", "Unknown", nil},
	}
	for _, tt := range tests {
		pt := tt.pathType
		got := pathsFromIngressPath(netv1.HTTPIngressPath{Path: tt.path, PathType: &pt})
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: got %q, want %q", tt.pathType, tt.path, got, tt.want)
		}
	}
}

func TestFlattenSlashes(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "/", "//a///b/": "/a/b/", "/a/b": "/a/b"} {
		if got := flattenSlashes(in); got != want {
			t.Errorf("flattenSlashes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPluginCombinations(t *testing.T) {
	ref := func(id string) pluginRef { return pluginRef{id: id} }
	tests := []struct {
		name string
		rels pluginRels
		want int
	}{
		{"services and routes alone", pluginRels{services: []pluginRef{ref("s")}, routes: []pluginRef{ref("r1"), ref("r2")}}, 3},
		{"consumer alone", pluginRels{consumers: []pluginRef{ref("c")}}, 1},
		{"consumers times targets", pluginRels{consumers: []pluginRef{ref("c1"), ref("c2")}, routes: []pluginRef{ref("r")}, services: []pluginRef{ref("s")}}, 4},
		{"groups ignored when consumers exist", pluginRels{consumers: []pluginRef{ref("c")}, groups: []pluginRef{ref("g")}}, 1},
		{"groups times targets", pluginRels{groups: []pluginRef{ref("g")}, routes: []pluginRef{ref("r")}}, 1},
		{"nothing", pluginRels{}, 0},
	}
	for _, tt := range tests {
		if got := tt.rels.combinations(); len(got) != tt.want {
			t.Errorf("%s: %d combinations, want %d", tt.name, len(got), tt.want)
		}
	}
}

func TestPluginReferences(t *testing.T) {
	got := pluginReferences(" a, ns:b ,:bad, bad:, ,c")
	want := []pluginName{{name: "a"}, {namespace: "ns", name: "b"}, {name: "c"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"3.9.1", "3.11.0", true},
		{"3.11.0", "3.11.0", false},
		{"3.12", "3.11.0", false},
		{"3", "3.11.0", true},
		{"latest", "3.11.0", false},
	}
	for _, tt := range tests {
		if got := versionLess(tt.a, tt.b); got != tt.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
