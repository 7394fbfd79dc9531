package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/kong/go-kong/kong"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// pluginRef is one entity a plugin attaches to: its Kong identifier (name, username...) and the
// Kubernetes object that asked for it.
type pluginRef struct {
	id       string
	referrer object
}

// pluginRels are the entities one KongPlugin/KongClusterPlugin attaches to, by kind.
type pluginRels struct {
	consumers, groups, routes, services []pluginRef
	// seen holds "kind/id" of every attachment, so a second reference to the same entity (several
	// backing Services of one Kong service each naming the plugin) adds no second plugin and
	// the check stays constant-time however many objects share one plugin.
	seen map[string]bool
}

func (r *pluginRels) attach(kind string, list *[]pluginRef, p pluginRef) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[kind+"/"+p.id] {
		return
	}
	r.seen[kind+"/"+p.id] = true
	*list = append(*list, p)
}

// pluginCombo is one Kong plugin instance: at most one of each kind of entity.
type pluginCombo struct {
	consumer, group, route, service *pluginRef
}

// combinations is KIC's ForeignRelations.GetCombinations: consumers (or, without consumers,
// consumer groups) times services and routes; each alone when the other side is empty.
func (r pluginRels) combinations() []pluginCombo {
	var out []pluginCombo
	targets := func(with func(*pluginCombo)) {
		for i := range r.services {
			c := pluginCombo{service: &r.services[i]}
			with(&c)
			out = append(out, c)
		}
		for i := range r.routes {
			c := pluginCombo{route: &r.routes[i]}
			with(&c)
			out = append(out, c)
		}
	}
	entities := len(r.services) + len(r.routes)
	switch {
	case len(r.consumers) > 0:
		for i := range r.consumers {
			cons := &r.consumers[i]
			if entities == 0 {
				out = append(out, pluginCombo{consumer: cons})
				continue
			}
			targets(func(c *pluginCombo) { c.consumer = cons })
		}
	case len(r.groups) > 0:
		for i := range r.groups {
			g := &r.groups[i]
			if entities == 0 {
				out = append(out, pluginCombo{group: g})
				continue
			}
			targets(func(c *pluginCombo) { c.group = g })
		}
	default:
		targets(func(*pluginCombo) {})
	}
	return out
}

func (c pluginCombo) refs() []*pluginRef {
	var out []*pluginRef
	for _, r := range []*pluginRef{c.consumer, c.group, c.route, c.service} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// fillPlugins is KIC's FillPlugins: every konghq.com/plugins reference on a backing Service (the
// Kong service), a route's parent object (the route), a KongConsumer or a KongConsumerGroup
// becomes plugin instances, one per combination of attachments; global KongClusterPlugins are
// added unattached.
func (t *translator) fillPlugins(services []*kongService) {
	rels := map[string]*pluginRels{}
	var keys []string
	add := func(referrer object, id string, attach func(*pluginRels, pluginRef)) {
		for _, ref := range pluginReferences(referrer.GetAnnotations()[annPlugins]) {
			ns := referrer.GetNamespace()
			if ref.namespace != "" {
				gvk := gvkOf(referrer)
				if !t.idx.referenceAllowed(grantRef{
					FromGroup: gvk.Group, FromKind: gvk.Kind, FromNamespace: referrer.GetNamespace(),
					ToGroup: kongv1.GroupVersion.Group, ToKind: "KongPlugin", ToNamespace: ref.namespace, ToName: ref.name,
				}) {
					t.fail(referrer, annField(annPlugins), "no grant found to referenced %q plugin in the requested remote KongPlugin bind", ref.namespace+":"+ref.name)
					continue
				}
				ns = ref.namespace
			}
			key := ns + ":" + ref.name
			r, ok := rels[key]
			if !ok {
				r = &pluginRels{}
				rels[key] = r
				keys = append(keys, key)
			}
			attach(r, pluginRef{id: id, referrer: referrer})
		}
	}
	for _, svc := range services {
		for _, k := range svc.k8sServiceKeys {
			add(svc.k8sServices[k], deref(svc.Name), func(r *pluginRels, p pluginRef) { r.attach("service", &r.services, p) })
		}
		for _, route := range svc.Routes {
			if route.Parent != nil {
				add(route.Parent, deref(route.Name), func(r *pluginRels, p pluginRef) { r.attach("route", &r.routes, p) })
			}
		}
	}
	for _, c := range t.consumers {
		id := deref(c.entity.Username)
		if id == "" {
			id = deref(c.entity.CustomID)
		}
		add(c.obj, id, func(r *pluginRels, p pluginRef) { r.attach("consumer", &r.consumers, p) })
	}
	for _, g := range t.consumerGroups {
		add(g.obj, deref(g.entity.Name), func(r *pluginRels, p pluginRef) { r.attach("group", &r.groups, p) })
	}

	slices.Sort(keys)
	for _, key := range keys {
		ns, name, _ := strings.Cut(key, ":")
		t.instantiatePlugin(ns, name, rels[key])
	}
	t.globalPlugins()
}

type pluginName struct{ namespace, name string }

// pluginReferences parses konghq.com/plugins as kubernetes-configuration's metadata package
// does: comma-separated names, "namespace:name" for remote ones.
func pluginReferences(v string) []pluginName {
	if v == "" {
		return nil
	}
	var out []pluginName
	for _, s := range strings.Split(v, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		i := strings.Index(s, ":")
		if i == len(s)-1 || i == 0 {
			continue
		}
		if i >= 0 {
			out = append(out, pluginName{namespace: strings.TrimSpace(s[:i]), name: strings.TrimSpace(s[i+1:])})
		} else {
			out = append(out, pluginName{name: strings.TrimSpace(s)})
		}
	}
	return out
}

// instantiatePlugin turns one KongPlugin (or, when absent, the KongClusterPlugin of the same
// name) into one Kong plugin per attachment combination.
func (t *translator) instantiatePlugin(ns, name string, rels *pluginRels) {
	combos := rels.combinations()
	var (
		base    *kong.Plugin
		secrets []string
		err     error
		src     object
	)
	if kp := t.idx.kongPlugins[nsName(ns, name)]; kp != nil {
		src = kp
		base, secrets, err = t.kongPlugin(kongPluginSource(kp))
	} else if kcp := t.idx.kongClusterPlugins[name]; kcp != nil {
		src = kcp
		base, secrets, err = t.kongPlugin(clusterPluginSource(kcp))
	} else {
		for _, c := range combos {
			for _, r := range c.refs() {
				t.fail(r.referrer, annField(annPlugins), "referenced KongPlugin or KongClusterPlugin %q does not exist", name)
			}
		}
		return
	}
	if err != nil {
		t.fail(src, "config", "%v", err)
		// What it attaches to fails too: a route or consumer written without the plugin (an
		// auth plugin, say) would be served with less than it asks for.
		for _, c := range combos {
			for _, r := range c.refs() {
				t.fail(r.referrer, annField(annPlugins), "plugin %q could not be built, so this object is not written without it", name)
			}
		}
		return
	}
	used := map[string]bool{}
	for _, c := range combos {
		p := base.DeepCopy()
		var h strings.Builder
		if c.service != nil {
			p.Service = &kong.Service{ID: kong.String(c.service.id)}
			h.WriteString("_service-" + c.service.id)
		}
		if c.route != nil {
			p.Route = &kong.Route{ID: kong.String(c.route.id)}
			h.WriteString("_route-" + c.route.id)
		}
		if c.consumer != nil {
			p.Consumer = &kong.Consumer{ID: kong.String(c.consumer.id)}
			h.WriteString("_consumer-" + c.consumer.id)
		}
		if c.group != nil {
			p.ConsumerGroup = &kong.ConsumerGroup{ID: kong.String(c.group.id)}
			h.WriteString("_group-" + c.group.id)
		}
		if p.InstanceName != nil {
			sum := sha256.Sum256([]byte(h.String()))
			full := hex.EncodeToString(sum[:])
			suffixed := *p.InstanceName + "-" + full[:9]
			if used[suffixed] {
				suffixed = *p.InstanceName + "-" + full
			}
			used[suffixed] = true
			p.InstanceName = kong.String(suffixed)
		}
		t.state.Plugins = append(t.state.Plugins, p)
		t.state.MarkSecretConfig(p, secrets...)
	}
}

// globalPlugins adds every KongClusterPlugin labelled global: "true"; two of them with the same
// plugin name are both left out, as KIC does.
func (t *translator) globalPlugins() {
	byName := map[string][]*kongv1.KongClusterPlugin{}
	var names []string
	for _, kcp := range sortedByCreation(t.snap.KongClusterPlugins) {
		if kcp.Labels[labelGlobal] != "true" {
			continue
		}
		if kcp.PluginName == "" {
			t.fail(kcp, "plugin", "invalid KongClusterPlugin: empty plugin property")
			continue
		}
		if _, ok := byName[kcp.PluginName]; !ok {
			names = append(names, kcp.PluginName)
		}
		byName[kcp.PluginName] = append(byName[kcp.PluginName], kcp)
	}
	slices.Sort(names)
	for _, n := range names {
		kcps := byName[n]
		if len(kcps) > 1 {
			for _, kcp := range kcps {
				t.fail(kcp, "metadata.labels[global]", "multiple global KongClusterPlugins for plugin %q found, cannot apply any of them", n)
			}
			continue
		}
		kcp := kcps[0]
		p, secrets, err := t.kongPlugin(clusterPluginSource(kcp))
		if err != nil {
			t.fail(kcp, "config", "failed to generate configuration from KongClusterPlugin: %v", err)
			continue
		}
		t.state.Plugins = append(t.state.Plugins, p)
		t.state.MarkSecretConfig(p, secrets...)
	}
}

// pluginSource is what KongPlugin and KongClusterPlugin have in common; they differ only in
// where configFrom and configPatches Secrets live (the plugin's namespace, or a named one).
type pluginSource struct {
	obj          object
	pluginName   string
	config       apiextensionsv1.JSON
	configFrom   *kongv1.ConfigSource
	patches      []kongv1.ConfigPatch
	nsConfigFrom *kongv1.NamespacedConfigSource
	nsPatches    []kongv1.NamespacedConfigPatch
	runOn        string
	ordering     *kong.PluginOrdering
	instanceName string
	disabled     bool
	protocols    []kongv1.KongProtocol
}

func kongPluginSource(p *kongv1.KongPlugin) pluginSource {
	return pluginSource{obj: p, pluginName: p.PluginName, config: p.Config, configFrom: p.ConfigFrom,
		patches: p.ConfigPatches, runOn: p.RunOn, ordering: p.Ordering, instanceName: p.InstanceName,
		disabled: p.Disabled, protocols: p.Protocols}
}

func clusterPluginSource(p *kongv1.KongClusterPlugin) pluginSource {
	return pluginSource{obj: p, pluginName: p.PluginName, config: p.Config, nsConfigFrom: p.ConfigFrom,
		nsPatches: p.ConfigPatches, runOn: p.RunOn, ordering: p.Ordering, instanceName: p.InstanceName,
		disabled: p.Disabled, protocols: p.Protocols}
}

// kongPlugin is KIC's kongPluginFromK8SPlugin / kongPluginFromK8SClusterPlugin: config with
// configPatches applied, or configFrom (never both), and the plugin's own fields. secrets are the
// JSON pointers of the config values read from Secrets ("" for all of it), which printing
// redacts.
func (t *translator) kongPlugin(src pluginSource) (p *kong.Plugin, secrets []string, err error) {
	obj, configFrom, patches, nsConfigFrom, nsPatches := src.obj, src.configFrom, src.patches, src.nsConfigFrom, src.nsPatches
	pluginName, config, runOn, ordering, instanceName, disabled, protocols := src.pluginName, src.config, src.runOn, src.ordering, src.instanceName, src.disabled, src.protocols
	ns := obj.GetNamespace()
	raw := config.Raw
	if raw == nil {
		raw = []byte("{}")
	}
	for _, p := range patches {
		v := p.ValueFrom.SecretValue
		secrets = append(secrets, p.Path)
		if raw, err = t.applyConfigPatch(raw, p.Path, ns, v.Secret, v.Key); err != nil {
			return nil, nil, fmt.Errorf("could not parse %s %s config: %w", kindOf(obj), objName(obj), err)
		}
	}
	for _, p := range nsPatches {
		v := p.ValueFrom.SecretValue
		secrets = append(secrets, p.Path)
		if raw, err = t.applyConfigPatch(raw, p.Path, v.Namespace, v.Secret, v.Key); err != nil {
			return nil, nil, fmt.Errorf("could not parse %s %s config: %w", kindOf(obj), objName(obj), err)
		}
	}
	cfg, err := rawConfig(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("could not parse %s %s config: %w", kindOf(obj), objName(obj), err)
	}
	hasFrom := configFrom != nil || nsConfigFrom != nil
	if hasFrom && len(cfg) > 0 {
		return nil, nil, fmt.Errorf("%s '%s' has both Config and ConfigFrom set", kindOf(obj), objName(obj))
	}
	if hasFrom {
		secrets = []string{""}
	}
	switch {
	case configFrom != nil:
		cfg, err = t.secretConfig(ns, configFrom.SecretValue.Secret, configFrom.SecretValue.Key)
	case nsConfigFrom != nil:
		cfg, err = t.secretConfig(nsConfigFrom.SecretValue.Namespace, nsConfigFrom.SecretValue.Secret, nsConfigFrom.SecretValue.Key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("error parsing config for %s '%s': %w", kindOf(obj), objName(obj), err)
	}
	p = &kong.Plugin{Name: kong.String(pluginName), Config: cfg.DeepCopy(), Tags: t.tags(obj)}
	if runOn != "" {
		// KIC's deckgen clears run_on before pushing (Kong 3 has no such field).
		t.warn(obj, "run_on", "ignored: Kong 3 has no run_on; KIC drops it too")
	}
	if disabled {
		p.Enabled = kong.Bool(false)
	}
	if ordering != nil {
		p.Ordering = ordering.DeepCopy()
	}
	for _, pr := range protocols {
		p.Protocols = append(p.Protocols, kong.String(string(pr)))
	}
	if instanceName != "" {
		p.InstanceName = kong.String(instanceName)
	}
	return p, secrets, nil
}

func objName(o object) string {
	if o.GetNamespace() == "" {
		return "/" + o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

func rawConfig(raw []byte) (kong.Configuration, error) {
	if len(raw) == 0 {
		return kong.Configuration{}, nil
	}
	var cfg kong.Configuration
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return kong.Configuration{}, err
	}
	return cfg, nil
}

// applyConfigPatch adds the Secret value (JSON) at path in raw; an empty path replaces the
// whole configuration (KIC's applyJSONPatchFromNamespacedSecretRef).
func (t *translator) applyConfigPatch(raw []byte, path, ns, secretName, key string) ([]byte, error) {
	secret := t.idx.secrets[nsName(ns, secretName)]
	if secret == nil {
		return nil, fmt.Errorf("secret %s/%s not found", ns, secretName)
	}
	val, ok := secret.Data[key]
	if !ok {
		return nil, fmt.Errorf("no key '%s' in secret '%s/%s'", key, ns, secretName)
	}
	op := "add"
	if path == "" {
		op = "replace"
	}
	pathJSON, err := json.Marshal(path)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch([]byte(`[{"op":"` + op + `","path":` + string(pathJSON) + `,"value":` + string(val) + `}]`))
	if err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	opts.EnsurePathExistsOnAdd = true
	return patch.ApplyWithOptions(raw, opts)
}

// secretConfig reads a plugin configuration from a Secret key, as JSON or else YAML.
func (t *translator) secretConfig(ns, name, key string) (kong.Configuration, error) {
	secret := t.idx.secrets[nsName(ns, name)]
	if secret == nil {
		return nil, fmt.Errorf("error fetching plugin configuration secret '%s/%s': not found", ns, name)
	}
	val, ok := secret.Data[key]
	if !ok {
		return nil, fmt.Errorf("no key '%s' in secret '%s/%s'", key, ns, name)
	}
	var cfg kong.Configuration
	if err := json.Unmarshal(val, &cfg); err != nil {
		if err := yaml.Unmarshal(val, &cfg); err != nil {
			return nil, fmt.Errorf("key '%s' in secret '%s/%s' contains neither valid JSON nor valid YAML", key, ns, name)
		}
	}
	return cfg, nil
}
