// Package install builds the manifests that run kongdb in the cluster it syncs from: a
// Deployment of `sync --watch` in the kongdb image, its ServiceAccount, least-privilege RBAC
// and a PodDisruptionBudget. The objects are typed; YAML and JSON serialise them for
// `kubectl kongdb install`, which prints or server-side applies them.
package install

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kongdb/kubectl-kongdb/pkg/admin"
	"github.com/kongdb/kubectl-kongdb/pkg/discovery"
)

const (
	// DefaultNamespace is where kongdb runs unless told otherwise.
	DefaultNamespace = "kongdb-system"
	// DefaultName names the Deployment, ServiceAccount, RBAC objects and PodDisruptionBudget.
	DefaultName = "kongdb"
	// ImageRepository is the image `make images` builds (hack/images/build.sh).
	ImageRepository = "kongdb/kubectl-kongdb"
	// DevTag is the image tag of builds that are not a release: `make images` builds it.
	DevTag = "dev"
	// DefaultReplicas: two, so that a standby takes over when the leader's node goes away
	// (leader election keeps one writer).
	DefaultReplicas = 2
	// FieldManager owns the fields install --apply sets.
	FieldManager = "kubectl-kongdb"

	// HealthPort serves /healthz and /readyz, MetricsPort Prometheus's /metrics: KIC's ports.
	HealthPort  = 10254
	MetricsPort = 10255
	// CacheDir is where the container keeps Kong's schemas: an emptyDir, the root file system
	// being read-only.
	CacheDir = "/var/cache/kongdb"
)

// Options say what to install. Zero values take the defaults (Defaults fills them).
type Options struct {
	// Namespace holds everything namespaced: the Deployment, its ServiceAccount, the Role on
	// Leases (the sync lock and leader election live there) and the PodDisruptionBudget.
	Namespace string
	// Name names the objects; cluster-scoped ones are Name-Namespace, so that two
	// installations in two namespaces do not collide.
	Name string
	// Image runs the container; "" is ImageRepository at the tag of Version.
	Image string
	// Version is kongdb's own version: it picks the default image's tag and labels the objects.
	Version string
	// Replicas of the Deployment; leader election makes one of them the writer.
	Replicas int32
	// KongAdminURLs or KongAdminService (NAMESPACE/NAME, its ready endpoints being the Admin
	// APIs): exactly one says where Kong is.
	KongAdminURLs    []string
	KongAdminService string
	// OwnershipTag marks the entities this installation owns in Kong.
	OwnershipTag string
	// KongAdminTokenSecret is NAME or NAME:KEY of a Secret in Namespace holding the Admin API's
	// RBAC token (key "token" by default): the kubelet hands it to the container as
	// KONG_ADMIN_TOKEN, so neither the manifests nor the ServiceAccount ever hold or read it.
	KongAdminTokenSecret string
}

// DefaultTokenKey is the key of KongAdminTokenSecret when it names none.
const DefaultTokenKey = "token"

// tokenSecret splits KongAdminTokenSecret into the Secret's name and key.
func (o Options) tokenSecret() (name, key string) {
	name, key, ok := strings.Cut(o.KongAdminTokenSecret, ":")
	if !ok {
		key = DefaultTokenKey
	}
	return name, key
}

// OptionError is an option refused: Option names it as the command line does (replicas,
// kong-admin-url, ...), so the command can word it as its flag.
type OptionError struct {
	Option string
	Value  string
	Reason string
}

func (e *OptionError) Error() string { return e.Worded(e.Option) }

// Worded is the refusal with the option called name (a flag, say): `name "value": reason`,
// or `name: reason` when no value was given.
func (e *OptionError) Worded(name string) string {
	if e.Value == "" {
		return name + ": " + e.Reason
	}
	return fmt.Sprintf("%s %q: %s", name, e.Value, e.Reason)
}

func refuse(option, value, format string, args ...any) error {
	return &OptionError{Option: option, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// ImageTag is the image tag of a kongdb version: a release's own version (v1.2.3), else DevTag,
// since a build from source (v0.0.0-2026…+dirty, "dev") has no published image.
func ImageTag(version string) string {
	if releaseVersion.MatchString(version) {
		return version
	}
	return DevTag
}

var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-(alpha|beta|rc)\.?\d+)?$`)

// imageRef is a loose image reference check: the API server takes any string, and a typo
// (a space, a scheme) only shows later as ErrImagePull.
var imageRef = regexp.MustCompile(`^[a-z0-9]+([._-]+[a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$`)

// Defaults returns o with every unset option at its default.
func (o Options) Defaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Image == "" {
		o.Image = ImageRepository + ":" + ImageTag(o.Version)
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	return o
}

// Validate refuses options the manifests could not honour, naming the option.
func (o Options) Validate() error {
	for _, opt := range [][2]string{{"namespace", o.Namespace}, {"name", o.Name}} {
		if errs := validation.IsDNS1123Label(opt[1]); len(errs) > 0 {
			return refuse(opt[0], opt[1], "not a valid Kubernetes name: %s", strings.Join(errs, "; "))
		}
	}
	if !imageRef.MatchString(o.Image) {
		return refuse("image", o.Image, "not an image reference (REPOSITORY[:TAG][@sha256:DIGEST], lower-case, no scheme)")
	}
	if o.Replicas < 1 {
		return refuse("replicas", fmt.Sprint(o.Replicas), "must be at least 1: a Deployment of no pods syncs nothing")
	}
	switch {
	case len(o.KongAdminURLs) == 0 && o.KongAdminService == "":
		return refuse("kong-admin-url", "", "say where Kong's Admin API is: an admin URL, or an admin Service (kong-admin-service)")
	case len(o.KongAdminURLs) > 0 && o.KongAdminService != "":
		return refuse("kong-admin-service", o.KongAdminService, "cannot be used together with kong-admin-url: give one of them")
	}
	for _, raw := range o.KongAdminURLs {
		if err := validateAdminURL(raw); err != nil {
			return err
		}
	}
	if o.KongAdminService != "" {
		if _, err := discovery.ParseService("kong-admin-service", o.KongAdminService, nil); err != nil {
			return refuse("kong-admin-service", o.KongAdminService, "want NAMESPACE/NAME")
		}
	}
	if o.KongAdminTokenSecret != "" {
		name, key := o.tokenSecret()
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return refuse("kong-admin-token-secret", o.KongAdminTokenSecret, "want NAME or NAME:KEY of a Secret in namespace %s: %s",
				o.Namespace, strings.Join(errs, "; "))
		}
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			return refuse("kong-admin-token-secret", o.KongAdminTokenSecret, "key %q: %s", key, strings.Join(errs, "; "))
		}
	}
	if err := admin.ValidateTag(o.OwnershipTag); err != nil {
		return refuse("ownership-tag", o.OwnershipTag, "%v", err)
	}
	return nil
}

// validateAdminURL accepts http(s) URLs with a host. Credentials in the URL are refused: they
// would be stored in the Deployment in clear and shown by every `kubectl get -o yaml`; the
// value is never echoed back either.
func validateAdminURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.User != nil {
		return refuse("kong-admin-url", "(redacted)", "holds credentials; they would be stored in the Deployment's arguments in clear: "+
			"give the URL without them and the token through KONG_ADMIN_TOKEN")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return refuse("kong-admin-url", raw, "want an http:// or https:// URL with a host")
	}
	return nil
}

func (o Options) clusterName() string { return o.Name + "-" + o.Namespace }

// Objects returns the manifests, in the order they are applied: Namespace, ServiceAccount,
// ClusterRole and its binding, Role and its binding, Deployment, PodDisruptionBudget. o is
// taken with its defaults and validated first.
func Objects(o Options) ([]client.Object, error) {
	o = o.Defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	objs := []client.Object{namespace(o), serviceAccount(o)}
	objs = append(objs, rbac(o)...)
	return append(objs, deployment(o), podDisruptionBudget(o)), nil
}

// Args are the arguments of the container: sync's flags for the options, then WatchArgs.
func Args(o Options) []string {
	o = o.Defaults()
	args := []string{"sync", "--all-namespaces",
		"--ownership-tag=" + o.OwnershipTag,
		// The sync lock's Lease (and leader election's) in the namespace the Role covers.
		"--lock-namespace=" + o.Namespace,
		"--record-events",
		"--update-status",
		"--schema-cache-dir=" + CacheDir,
	}
	for _, u := range o.KongAdminURLs {
		args = append(args, "--kong-admin-url="+u)
	}
	if o.KongAdminService != "" {
		// In the cluster the endpoints are routable: never through the API server's pod
		// proxy, which would need pods/proxy, a verb the Role does not grant.
		args = append(args, "--kong-admin-service="+o.KongAdminService, "--kong-access=direct")
	}
	return append(args, WatchArgs...)
}

// WatchArgs are the flags of sync's watch mode the Deployment runs with: kept apart, as what
// makes the one-shot sync of Args a watcher. pkg/cli's tests parse Args with the real sync
// command's flags, and list there any flag added here before sync has it.
var WatchArgs = []string{
	"--watch",
	"--leader-elect",
	fmt.Sprintf("--health-probe-bind-address=:%d", HealthPort),
	fmt.Sprintf("--metrics-bind-address=:%d", MetricsPort),
	"--log-format=json",
}

// labels are the recommended labels of every object; selector is the Deployment's selector.
func (o Options) labels() map[string]string {
	l := o.selector()
	l["app.kubernetes.io/managed-by"] = FieldManager
	if v := ImageTag(o.Version); v != DevTag {
		l["app.kubernetes.io/version"] = v
	}
	return l
}

func (o Options) selector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "kubectl-kongdb", "app.kubernetes.io/instance": o.Name}
}
