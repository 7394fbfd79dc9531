package translate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kong/go-kong/kong"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	"github.com/mitchellh/mapstructure"
	corev1 "k8s.io/api/core/v1"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// supportedCredentialTypes are the konghq.com/credential values KIC 3.5 provisions.
var supportedCredentialTypes = map[string]bool{
	"basic-auth": true, "hmac-auth": true, "jwt": true, "key-auth": true,
	"oauth2": true, "acl": true, "mtls-auth": true,
}

// credentialKey is the unique key of a credential in Kong ("key-auth on 'key'" → the key); an
// empty index means the type has no unique key to conflict on.
type credentialKey struct {
	index, value string
}

// newCredential decodes config into a go-kong credential as KIC does (mapstructure on the json
// tags), checks its required field, and appends it to the consumer.
func addCredential(c *kongstate.Consumer, credType string, config map[string]any, tags []*string) (credentialKey, error) {
	switch credType {
	case "key-auth":
		return appendCredential(&c.KeyAuths, config, tags, "key-auth",
			func(k *kong.KeyAuth) (*string, string) { return k.Key, "key" }, "key-auth on 'key'")
	case "basic-auth":
		return appendCredential(&c.BasicAuths, config, tags, "basic-auth",
			func(k *kong.BasicAuth) (*string, string) { return k.Username, "username" }, "basic-auth on 'username'")
	case "hmac-auth":
		return appendCredential(&c.HMACAuths, config, tags, "hmac-auth",
			func(k *kong.HMACAuth) (*string, string) { return k.Username, "username" }, "hmac-auth on 'username'")
	case "oauth2":
		var o kong.Oauth2Credential
		if err := decodeCredential(config, &o); err != nil {
			return credentialKey{}, fmt.Errorf("failed to decode oauth2 credential: %w", err)
		}
		if o.ClientID == nil {
			return credentialKey{}, fmt.Errorf("oauth2 is invalid: no client_id")
		}
		if o.Name == nil {
			return credentialKey{}, fmt.Errorf("oauth2 is invalid: no name")
		}
		o.Tags = tags
		c.Oauth2Creds = append(c.Oauth2Creds, &o)
		return credentialKey{"oauth2-credentials on 'client_id'", *o.ClientID}, nil
	case "jwt":
		var j kong.JWTAuth
		if err := decodeCredential(config, &j); err != nil {
			return credentialKey{}, fmt.Errorf("failed to process JWT credential: %w", err)
		}
		if j.Algorithm == nil || *j.Algorithm == "" {
			j.Algorithm = kong.String("HS256")
		}
		if j.Key == nil {
			return credentialKey{}, fmt.Errorf("jwt-auth for is invalid: no key")
		}
		j.Tags = tags
		c.JWTAuths = append(c.JWTAuths, &j)
		return credentialKey{"jwt-auth on 'key'", *j.Key}, nil
	case "acl":
		return appendCredential(&c.ACLGroups, config, tags, "acl",
			func(k *kong.ACLGroup) (*string, string) { return k.Group, "group" }, "")
	case "mtls-auth":
		return appendCredential(&c.MTLSAuths, config, tags, "mtls-auth",
			func(k *kong.MTLSAuth) (*string, string) { return k.SubjectName, "subject_name" }, "")
	}
	return credentialKey{}, fmt.Errorf("unsupported credential type: %q", credType)
}

// appendCredential is the shared shape of the credential types: decode, require one field,
// tag, append; index names the conflict index the required field is unique in ("" for none).
func appendCredential[T any](dst *[]*T, config map[string]any, tags []*string, typ string,
	required func(*T) (*string, string), index string,
) (credentialKey, error) {
	var cred T
	if err := decodeCredential(config, &cred); err != nil {
		return credentialKey{}, fmt.Errorf("failed to decode %s credential: %w", typ, err)
	}
	v, field := required(&cred)
	if v == nil {
		return credentialKey{}, fmt.Errorf("%s is invalid: no %s", typ, field)
	}
	setTags(&cred, tags)
	*dst = append(*dst, &cred)
	if index == "" {
		return credentialKey{}, nil
	}
	return credentialKey{index, *v}, nil
}

func setTags(cred any, tags []*string) {
	switch c := cred.(type) {
	case *kong.KeyAuth:
		c.Tags = tags
	case *kong.BasicAuth:
		c.Tags = tags
	case *kong.HMACAuth:
		c.Tags = tags
	case *kong.ACLGroup:
		c.Tags = tags
	case *kong.MTLSAuth:
		c.Tags = tags
	}
}

func decodeCredential(config map[string]any, out any) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{TagName: "json", Result: out})
	if err != nil {
		return fmt.Errorf("failed to create a decoder: %w", err)
	}
	if err := d.Decode(config); err != nil {
		return fmt.Errorf("failed to decode credential: %s", secretFreeDecodeError(err))
	}
	return nil
}

// secretFreeDecodeError describes a mapstructure error by field names only: its messages quote
// the offending values ("value: '...'", "cannot parse '...'"), which come from a credential
// Secret and must not reach the diagnostics.
func secretFreeDecodeError(err error) string {
	var me *mapstructure.Error
	if !errors.As(err, &me) {
		return "malformed data"
	}
	var fields []string
	for _, msg := range me.Errors {
		// Every message names its field first, in single quotes.
		_, rest, ok := strings.Cut(msg, "'")
		name, _, ok2 := strings.Cut(rest, "'")
		if ok && ok2 && name != "" && !slices.Contains(fields, name) {
			fields = append(fields, name)
		}
	}
	if len(fields) == 0 {
		return "malformed data"
	}
	slices.Sort(fields)
	return "wrong type of field(s) " + strings.Join(fields, ", ")
}

// credentialConflicts is KIC's CredentialConflictsDetector: a unique credential key claimed by
// more than one Secret is a conflict for every claimant.
type credentialConflicts struct {
	byKey map[credentialKey][]credentialOwner
	order []credentialKey
}

type credentialOwner struct {
	secret   *corev1.Secret
	consumer *kongv1.KongConsumer
}

type credentialConflict struct {
	message  string
	secret   *corev1.Secret
	consumer *kongv1.KongConsumer
}

func newCredentialConflicts() *credentialConflicts {
	return &credentialConflicts{byKey: map[credentialKey][]credentialOwner{}}
}

func (c *credentialConflicts) add(k credentialKey, s *corev1.Secret, kc *kongv1.KongConsumer) {
	if k.index == "" {
		return
	}
	if _, ok := c.byKey[k]; !ok {
		c.order = append(c.order, k)
	}
	c.byKey[k] = append(c.byKey[k], credentialOwner{secret: s, consumer: kc})
}

func (c *credentialConflicts) detect() []credentialConflict {
	keys := slices.Clone(c.order)
	slices.SortFunc(keys, func(a, b credentialKey) int {
		return strings.Compare(a.index+"\x00"+a.value, b.index+"\x00"+b.value)
	})
	var out []credentialConflict
	for _, k := range keys {
		owners := c.byKey[k]
		if len(owners) < 2 {
			continue
		}
		for _, o := range owners {
			out = append(out, credentialConflict{
				message:  fmt.Sprintf("conflict detected in %q index", k.index),
				secret:   o.secret,
				consumer: o.consumer,
			})
		}
	}
	return out
}
