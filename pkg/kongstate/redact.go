package kongstate

import (
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
)

// RedactedValue replaces every secret value in printed output. One fixed placeholder keeps the
// output deterministic and says plainly that a value exists but is not shown.
const RedactedValue = "<redacted>"

// vaultSecretFields are the vault config fields that hold credentials in Kong's vault backends
// (Enterprise hcv: token, approle_secret_id, cert_auth_cert_key; conjur: api_key; and the
// generic names other backends use). OSS Kong bundles only env, whose config (prefix) is public.
var vaultSecretFields = map[string]bool{
	"token": true, "approle_secret_id": true, "cert_auth_cert_key": true, "api_key": true,
	"client_secret": true, "password": true, "secret": true, "private_key": true,
}

// secretConfigNames are plugin config field names that hold credentials in Kong's bundled
// plugins (aws-lambda's aws_key/aws_secret, session's secret, the redis password of the
// rate-limiting family, azure-functions' apikey/clientid, ...) and in common custom ones. They
// back up the schema's encrypted/referenceable marks, which a printer does not always have,
// and are hidden wherever a plugin's config is printed, whatever the value's origin.
var secretConfigNames = map[string]bool{
	"password": true, "secret": true, "client_secret": true, "api_key": true, "apikey": true,
	"token": true, "private_key": true, "aws_key": true, "aws_secret": true, "secret_key": true,
	"access_key": true, "sentinel_password": true, "clientid": true, "auth_token": true,
	"secret_access_key": true, "access_token": true, "refresh_token": true,
}

// IsSecretConfigName reports whether a plugin config field of that name holds a credential.
func IsSecretConfigName(name string) bool { return secretConfigNames[name] }

// MarkSecretConfig records that the values of p's config at the given JSON pointers (RFC 6901;
// "" is the whole config) came from a Kubernetes Secret, so that Redacted hides them. p must be
// one of s's plugins, in any list; the record follows the pointer p and is never serialised,
// so it neither shows in the output nor changes IDs.
func (s *State) MarkSecretConfig(p *kong.Plugin, pointers ...string) {
	if s == nil || p == nil || len(pointers) == 0 {
		return
	}
	if s.secretConfig == nil {
		s.secretConfig = map[*kong.Plugin][]string{}
	}
	for _, ptr := range pointers {
		if !slices.Contains(s.secretConfig[p], ptr) {
			s.secretConfig[p] = append(s.secretConfig[p], ptr)
		}
	}
}

// SecretConfig returns the JSON pointers of p's config recorded by MarkSecretConfig, so that
// callers other than Redacted (a diff printer) can hide the same values.
func (s *State) SecretConfig(p *kong.Plugin) []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.secretConfig[p])
}

// PluginNames returns the distinct names of s's plugins, in every list, sorted: the plugins
// whose schemas say which config fields to hide (admin.Schemas.PluginSecretFields).
func (s *State) PluginNames() []string {
	if s == nil {
		return nil
	}
	var names []string
	s.eachPluginList(func(ps []*kong.Plugin) {
		for _, p := range ps {
			if p.Name != nil {
				names = append(names, *p.Name)
			}
		}
	})
	slices.Sort(names)
	return slices.Compact(names)
}

// Redacted returns a deep copy of s for printing in which every secret value is RedactedValue:
// credential secrets (key-auth key, basic-auth password, hmac-auth and jwt secret, oauth2
// client_secret), certificate private keys, plugin config values that came from Kubernetes
// Secrets (MarkSecretConfig) and vault credentials. Public material (certificates, jwt
// rsa_public_key) and every ID stay as they are; s itself is not modified, so it can still
// be synced.
func (s *State) Redacted() *State {
	c := s.DeepCopy()
	if c == nil {
		return nil
	}
	for _, cert := range c.Certificates {
		hideCertificateKeys(cert)
	}
	for _, con := range c.Consumers {
		hideCredentials(con)
	}
	c.eachPluginList(func(ps []*kong.Plugin) {
		for _, p := range ps {
			for _, ptr := range c.secretConfig[p] {
				p.Config = hideAt(p.Config, ptr)
			}
			hideFields(p.Config, secretConfigNames)
		}
	})
	for _, v := range c.Vaults {
		hideFields(v.Config, vaultSecretFields)
	}
	return c
}

func hideCertificateKeys(cert *Certificate) {
	hide(&cert.Key)
	hide(&cert.KeyAlt)
}

// hideCredentials hides the secrets of con's credentials, which must be con's own copies.
func hideCredentials(con *Consumer) {
	hideAll(con.KeyAuths, func(k *kong.KeyAuth) { hide(&k.Key) })
	hideAll(con.BasicAuths, func(b *kong.BasicAuth) { hide(&b.Password) })
	hideAll(con.HMACAuths, func(h *kong.HMACAuth) { hide(&h.Secret) })
	hideAll(con.JWTAuths, func(j *kong.JWTAuth) { hide(&j.Secret) })
	hideAll(con.Oauth2Creds, func(o *kong.Oauth2Credential) { hide(&o.ClientSecret) })
}

// printer prepares entities one at a time for writers that stream: each method returns a copy
// of what it changes and shares the rest with s, which stays unmodified. Plugins and vaults
// are always copied, secrets hidden or not: their config copies go through JSON (go-kong's
// Configuration.DeepCopy), and the whole-document output was always written from such copies.
type printer struct {
	s *State
	// hide hides secrets as Redacted does.
	hide bool
}

func (p printer) plugin(pl *kong.Plugin) *kong.Plugin {
	c := pl.DeepCopy()
	if p.hide {
		for _, ptr := range p.s.secretConfig[pl] {
			c.Config = hideAt(c.Config, ptr)
		}
		hideFields(c.Config, secretConfigNames)
	}
	return c
}

func (p printer) service(svc *Service) *Service {
	c := &Service{Service: svc.Service, Plugins: mapAll(svc.Plugins, p.plugin)}
	c.Routes = mapAll(svc.Routes, func(r *Route) *Route {
		return &Route{Route: r.Route, Plugins: mapAll(r.Plugins, p.plugin)}
	})
	return c
}

func (p printer) consumer(con *Consumer) *Consumer {
	c := *con
	c.Plugins = mapAll(con.Plugins, p.plugin)
	if p.hide {
		c.KeyAuths = cloneAll(con.KeyAuths)
		c.BasicAuths = cloneAll(con.BasicAuths)
		c.HMACAuths = cloneAll(con.HMACAuths)
		c.JWTAuths = cloneAll(con.JWTAuths)
		c.Oauth2Creds = cloneAll(con.Oauth2Creds)
		hideCredentials(&c)
	}
	return &c
}

func (p printer) certificate(cert *Certificate) *Certificate {
	if !p.hide {
		return cert
	}
	c := *cert
	hideCertificateKeys(&c)
	return &c
}

func (p printer) vault(v *kong.Vault) *kong.Vault {
	c := v.DeepCopy()
	if p.hide {
		hideFields(c.Config, vaultSecretFields)
	}
	return c
}

func hide(p **string) {
	if *p != nil {
		*p = kong.String(RedactedValue)
	}
}

func hideAll[T any](es []*T, f func(*T)) {
	for _, e := range es {
		f(e)
	}
}

// hideAt replaces every leaf under the JSON pointer ptr of cfg. A pointer that enters an array
// hides the whole array: configPatches may insert ("-" or an index) and later patches shift
// elements, so the exact element cannot be known. A pointer that does not resolve hides the
// whole config: when in doubt, show less.
func hideAt(cfg kong.Configuration, ptr string) kong.Configuration {
	if ptr == "" {
		hidden, _ := hideValue(map[string]any(cfg)).(map[string]any)
		return hidden
	}
	if !strings.HasPrefix(ptr, "/") {
		return hideAt(cfg, "")
	}
	segments := strings.Split(ptr[1:], "/")
	var node any = map[string]any(cfg)
	for i, seg := range segments {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		m, ok := node.(map[string]any)
		if !ok {
			return hideAt(cfg, "")
		}
		child, ok := m[seg]
		if !ok {
			return hideAt(cfg, "")
		}
		if _, isArray := child.([]any); isArray || i == len(segments)-1 {
			m[seg] = hideValue(child)
			return cfg
		}
		node = child
	}
	return cfg
}

// hideValue replaces every scalar of v with RedactedValue and keeps its shape (object keys are
// schema field names, not secrets); null stays null.
func hideValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		for k, e := range x {
			x[k] = hideValue(e)
		}
		return x
	case kong.Configuration:
		return hideValue(map[string]any(x))
	case []any:
		for i, e := range x {
			x[i] = hideValue(e)
		}
		return x
	default:
		return RedactedValue
	}
}

// hideFields hides the values of the named fields anywhere in cfg.
func hideFields(cfg map[string]any, names map[string]bool) {
	for k, v := range cfg {
		if names[k] {
			cfg[k] = hideValue(v)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			hideFields(x, names)
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					hideFields(m, names)
				}
			}
		}
	}
}
