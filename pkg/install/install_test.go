package install_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/internal/testenv"
	"github.com/kongdb/kubectl-kongdb/pkg/install"
	"github.com/kongdb/kubectl-kongdb/pkg/source"
)

func options() install.Options {
	return install.Options{Namespace: "kong-sync", KongAdminURLs: []string{"http://kong-admin.kong:8001"}, OwnershipTag: "managed-by-kongdb", Version: "v1.2.3"}
}

func objects(t *testing.T, o install.Options) []client.Object {
	t.Helper()
	objs, err := install.Objects(o)
	if err != nil {
		t.Fatalf("Objects: %v", err)
	}
	return objs
}

// strictDecoder decodes with every field known to the built-in types: a field the typed
// structs do not have (a typo in the generator's YAML path) fails.
func strictDecoder() runtime.Decoder {
	return serializer.NewCodecFactory(clientgoscheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
}

// TestManifestsParseBack: the YAML stream and the JSON List decode, strictly, into objects
// equal to the typed ones, in the same order.
func TestManifestsParseBack(t *testing.T) {
	objs := objects(t, options())
	y, err := install.YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	var fromYAML []runtime.Object
	for doc := range strings.SplitSeq(string(y), "\n---\n") {
		obj, _, err := strictDecoder().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode YAML document:\n%s\n%v", doc, err)
		}
		fromYAML = append(fromYAML, obj)
	}
	j, err := install.JSON(objs)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := strictDecoder().Decode(j, nil, nil)
	if err != nil {
		t.Fatalf("decode JSON List: %v", err)
	}
	var fromJSON []runtime.Object
	for _, raw := range list.(*corev1.List).Items {
		obj, _, err := strictDecoder().Decode(raw.Raw, nil, nil)
		if err != nil {
			t.Fatalf("decode JSON item %s: %v", raw.Raw, err)
		}
		fromJSON = append(fromJSON, obj)
	}
	for name, got := range map[string][]runtime.Object{"YAML": fromYAML, "JSON": fromJSON} {
		if len(got) != len(objs) {
			t.Fatalf("%s holds %d objects, want %d", name, len(got), len(objs))
		}
		for i := range objs {
			if !equality.Semantic.DeepEqual(got[i], objs[i]) {
				t.Errorf("%s object %d differs:\ngot  %#v\nwant %#v", name, i, got[i], objs[i])
			}
		}
	}
	kinds := []string{}
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
	}
	want := []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "PodDisruptionBudget"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if strings.Contains(string(y), "creationTimestamp") || strings.Contains(string(y), "status:") {
		t.Errorf("YAML carries empty status or null timestamps:\n%s", y)
	}
}

// allows reports whether rules grant verb on group/resource (no wildcard is honoured: the
// rules must name each one).
func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func rolesOf(t *testing.T, objs []client.Object) (cluster *rbacv1.ClusterRole, role *rbacv1.Role) {
	t.Helper()
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			cluster = o
		case *rbacv1.Role:
			role = o
		}
	}
	if cluster == nil || role == nil {
		t.Fatal("no ClusterRole or Role")
	}
	return cluster, role
}

// TestRBACCoversWhatSyncReadsAndNothingMore: every kind pkg/source reads may be got, listed
// and watched cluster-wide; status only of the kinds whose status is written; Events created
// and patched; Leases only in the installation's namespace. Every verb granted is one of
// those: no wildcard, nothing written but status, Events and Leases (so no Secret write).
func TestRBACCoversWhatSyncReadsAndNothingMore(t *testing.T) {
	o := options()
	cr, role := rolesOf(t, objects(t, o))
	if role.Namespace != o.Namespace {
		t.Fatalf("Role in %q, want the installation's namespace %q", role.Namespace, o.Namespace)
	}
	type grant struct{ group, resource, verb string }
	want := map[grant]bool{}
	resources := map[string]string{}
	for _, k := range source.ReadKinds() {
		resources[k.GVK.GroupKind().String()] = k.Resource
		for _, v := range []string{"get", "list", "watch"} {
			want[grant{k.GVK.Group, k.Resource, v}] = true
		}
	}
	for _, gk := range install.StatusKinds {
		r, ok := resources[gk.String()]
		if !ok {
			t.Fatalf("status kind %s is not a kind pkg/source reads", gk)
		}
		for _, v := range []string{"get", "update"} {
			want[grant{gk.Group, r + "/status", v}] = true
		}
	}
	want[grant{"", "events", "create"}] = true
	want[grant{"", "events", "patch"}] = true
	for g := range want {
		if !allows(cr.Rules, g.group, g.resource, g.verb) {
			t.Errorf("ClusterRole does not grant %s on %s (group %q)", g.verb, g.resource, g.group)
		}
	}
	for _, r := range cr.Rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("unexpected rule %+v", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if !want[grant{g, res, v}] {
						t.Errorf("ClusterRole grants %s on %s (group %q): more than sync needs", v, res, g)
					}
				}
			}
		}
	}
	for _, v := range []string{"create", "update", "patch", "delete", "deletecollection", "*"} {
		if allows(cr.Rules, "", "secrets", v) || allows(role.Rules, "", "secrets", v) {
			t.Errorf("Secrets may be written (%s)", v)
		}
	}
	leases := map[string]bool{"get": true, "create": true, "update": true, "delete": true}
	for v := range leases {
		if !allows(role.Rules, "coordination.k8s.io", "leases", v) {
			t.Errorf("Role does not grant %s on leases", v)
		}
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if !slices.Equal(r.APIGroups, []string{"coordination.k8s.io"}) || !slices.Equal(r.Resources, []string{"leases"}) || !leases[v] {
				t.Errorf("Role grants %v on %v %v: more than the Leases need", r.Verbs, r.APIGroups, r.Resources)
			}
		}
	}
	if allows(cr.Rules, "coordination.k8s.io", "leases", "get") {
		t.Error("the ClusterRole grants Leases in every namespace")
	}
	for _, rules := range [][]rbacv1.PolicyRule{cr.Rules, role.Rules} {
		for _, r := range rules {
			for _, s := range slices.Concat(r.APIGroups, r.Resources, r.Verbs) {
				if strings.Contains(s, "*") {
					t.Errorf("wildcard in rule %+v", r)
				}
			}
		}
	}
}

// TestReadKindsHaveTheirCRDPlural checks the resource names RBAC uses for Kong's and the
// Gateway API's kinds against the plural their CRDs declare (IngressClassParameters'
// plural is irregular enough to get wrong).
func TestReadKindsHaveTheirCRDPlural(t *testing.T) {
	all, err := testenv.CRDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	plurals := map[string]string{}
	for _, crd := range all {
		plurals[crd.Spec.Group+"/"+crd.Spec.Names.Kind] = crd.Spec.Names.Plural
	}
	for _, k := range source.ReadKinds() {
		if !k.Optional {
			continue
		}
		p, ok := plurals[k.GVK.Group+"/"+k.GVK.Kind]
		if !ok {
			t.Errorf("no CRD for %s", k.GVK)
			continue
		}
		if p != k.Resource {
			t.Errorf("%s: resource %q, its CRD says %q", k.GVK.Kind, k.Resource, p)
		}
	}
}

func TestDeploymentRunsLockedDown(t *testing.T) {
	o := options()
	o.Replicas = 3
	var d *appsv1.Deployment
	var pdb *policyv1.PodDisruptionBudget
	var sa *corev1.ServiceAccount
	for _, obj := range objects(t, o) {
		switch obj := obj.(type) {
		case *appsv1.Deployment:
			d = obj
		case *policyv1.PodDisruptionBudget:
			pdb = obj
		case *corev1.ServiceAccount:
			sa = obj
		}
	}
	if *d.Spec.Replicas != 3 || d.Namespace != o.Namespace || d.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Fatalf("deployment %s/%s replicas %d account %q", d.Namespace, d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.ServiceAccountName)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "kongdb/kubectl-kongdb:v1.2.3" {
		t.Errorf("image %q", c.Image)
	}
	sc := c.SecurityContext
	if !*sc.RunAsNonRoot || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("security context %+v", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v", c.Resources)
	}
	for name, want := range map[string]int32{"health": install.HealthPort, "metrics": install.MetricsPort} {
		flag := map[string]string{"health": "--health-probe-bind-address", "metrics": "--metrics-bind-address"}[name]
		var port corev1.ContainerPort
		for _, p := range c.Ports {
			if p.Name == name {
				port = p
			}
		}
		if port.ContainerPort != want || !slices.Contains(c.Args, fmt.Sprintf("%s=:%d", flag, want)) {
			t.Errorf("%s port %+v, args %v: want %d served by %s", name, port, c.Args, want, flag)
		}
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.StrVal != "health" {
			t.Errorf("%s probe %+v not on the health port", name, p)
		}
	}
	if c.Args[0] != "sync" || !slices.Contains(c.Args, "--watch") || !slices.Contains(c.Args, "--kong-admin-url=http://kong-admin.kong:8001") ||
		!slices.Contains(c.Args, "--lock-namespace="+o.Namespace) {
		t.Errorf("args %v", c.Args)
	}
	if pdb.Spec.MaxUnavailable.IntValue() != 1 || !equality.Semantic.DeepEqual(pdb.Spec.Selector, d.Spec.Selector) {
		t.Errorf("pdb %+v", pdb.Spec)
	}
}

// TestDefaultsAndService: defaults fill the namespace, name, replicas and a dev build's image;
// an admin Service is reached directly, never through the pod proxy RBAC does not grant.
func TestDefaultsAndService(t *testing.T) {
	o := install.Options{KongAdminService: "kong/kong-admin", OwnershipTag: "t", Version: "v0.0.0-20261206-abcdef+dirty"}
	args := install.Args(o)
	if !slices.Contains(args, "--kong-admin-service=kong/kong-admin") || !slices.Contains(args, "--kong-access=direct") {
		t.Errorf("args %v", args)
	}
	d := o.Defaults()
	if d.Namespace != install.DefaultNamespace || d.Name != install.DefaultName || d.Replicas != install.DefaultReplicas ||
		d.Image != "kongdb/kubectl-kongdb:dev" {
		t.Errorf("defaults %+v", d)
	}
}

// TestOptionsRefused: each bad option is refused with an OptionError naming it; a URL's
// credentials are never echoed.
func TestOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		option string
		edit   func(*install.Options)
	}{
		{"namespace", func(o *install.Options) { o.Namespace = "Kong_Sync" }},
		{"name", func(o *install.Options) { o.Name = "a.b" }},
		{"name", func(o *install.Options) { o.Name = strings.Repeat("n", 64) }},
		{"image", func(o *install.Options) { o.Image = "https://registry/kongdb" }},
		{"image", func(o *install.Options) { o.Image = "kongdb/kubectl-kongdb: v1" }},
		{"replicas", func(o *install.Options) { o.Replicas = -1 }},
		{"kong-admin-url", func(o *install.Options) { o.KongAdminURLs = nil }},
		{"kong-admin-url", func(o *install.Options) { o.KongAdminURLs = []string{"kong:8001"} }},
		{"kong-admin-url", func(o *install.Options) { o.KongAdminURLs = []string{"ftp://kong:8001"} }},
		{"kong-admin-service", func(o *install.Options) { o.KongAdminService = "kong/admin" }},
		{"kong-admin-service", func(o *install.Options) { o.KongAdminURLs, o.KongAdminService = nil, "admin" }},
		{"kong-admin-token-secret", func(o *install.Options) { o.KongAdminTokenSecret = "Kong_Token" }},
		{"kong-admin-token-secret", func(o *install.Options) { o.KongAdminTokenSecret = "kong-token:a/b" }},
		{"ownership-tag", func(o *install.Options) { o.OwnershipTag = "a,b" }},
		{"ownership-tag", func(o *install.Options) { o.OwnershipTag = "" }},
	} {
		o := options()
		tc.edit(&o)
		_, err := install.Objects(o)
		var oe *install.OptionError
		if !errors.As(err, &oe) || oe.Option != tc.option || !strings.HasPrefix(err.Error(), tc.option) {
			t.Errorf("%+v: error %v, want one naming %s", o, err, tc.option)
		}
	}
	o := options()
	o.KongAdminURLs = []string{"http://admin:s3cret@kong:8001"}
	_, err := install.Objects(o)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("URL with credentials: %v", err)
	}
}

// TestReadKindsBuiltInResources: the built-in kinds' resources are the ones apimachinery's
// REST mapper derives for them.
func TestReadKindsBuiltInResources(t *testing.T) {
	for _, k := range source.ReadKinds() {
		if k.Optional {
			continue
		}
		want, _ := meta.UnsafeGuessKindToResource(k.GVK)
		if k.Resource != want.Resource {
			t.Errorf("%s: resource %q, want %q", k.GVK.Kind, k.Resource, want.Resource)
		}
	}
}

// TestAdminTokenFromASecret: the token reaches the container as KONG_ADMIN_TOKEN from the
// Secret's key, by reference: the manifests never hold it, and no argument names it.
func TestAdminTokenFromASecret(t *testing.T) {
	for secret, want := range map[string][2]string{"kong-token": {"kong-token", "token"}, "admin:rbac-token": {"admin", "rbac-token"}} {
		o := options()
		o.KongAdminTokenSecret = secret
		var c corev1.Container
		for _, obj := range objects(t, o) {
			if d, ok := obj.(*appsv1.Deployment); ok {
				c = d.Spec.Template.Spec.Containers[0]
			}
		}
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "KONG_ADMIN_TOKEN" })
		if i < 0 || c.Env[i].Value != "" || c.Env[i].ValueFrom.SecretKeyRef.Name != want[0] || c.Env[i].ValueFrom.SecretKeyRef.Key != want[1] {
			t.Errorf("%s: env %+v", secret, c.Env)
		}
		if slices.ContainsFunc(c.Args, func(a string) bool { return strings.Contains(a, "token") }) {
			t.Errorf("%s: args %v name the token", secret, c.Args)
		}
	}
}
