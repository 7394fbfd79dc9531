package translate

import (
	"strconv"
	"strings"

	"github.com/kong/go-kong/kong"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	kongv1beta1 "github.com/kong/kubernetes-configuration/api/configuration/v1beta1"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

// consumerEntry is a translated consumer and the KongConsumer it came from (for plugins).
type consumerEntry struct {
	entity *kongstate.Consumer
	obj    *kongv1.KongConsumer
}

// consumerGroupEntry is a translated consumer group and its KongConsumerGroup.
type consumerGroupEntry struct {
	entity *kongstate.ConsumerGroup
	obj    *kongv1beta1.KongConsumerGroup
}

// fillConsumers is KIC's FillConsumersAndCredentials: each KongConsumer with a username or
// custom_id becomes a consumer with its consumer-group memberships and the credentials of the
// Secrets it lists; consumers whose credentials conflict with another's are left out.
func (t *translator) fillConsumers() {
	conflicts := newCredentialConflicts()
	var entries []*consumerEntry
	for _, kc := range sortedByName(t.snap.KongConsumers) {
		if kc.Username == "" && kc.CustomID == "" {
			t.fail(kc, "username", "no username or custom_id specified")
			continue
		}
		c := &kongstate.Consumer{}
		if kc.Username != "" {
			c.Username = kong.String(kc.Username)
		}
		if kc.CustomID != "" {
			c.CustomID = kong.String(kc.CustomID)
		}
		c.Tags = t.tags(kc)
		for i, name := range kc.ConsumerGroups {
			cg := t.idx.consumerGroups[nsName(kc.Namespace, name)]
			if cg == nil {
				t.fail(kc, "consumerGroups["+strconv.Itoa(i)+"]", "nonexistent consumer group: %q", name)
				continue
			}
			c.Groups = append(c.Groups, &kong.ConsumerGroup{Name: kong.String(cg.Name)})
		}
		for i, name := range kc.Credentials {
			field := "credentials[" + strconv.Itoa(i) + "]"
			secret := t.idx.secrets[nsName(kc.Namespace, name)]
			if secret == nil {
				t.fail(kc, field, "credential %q failure: failed to fetch secret: Secret %s/%s not found", name, kc.Namespace, name)
				continue
			}
			credType, labelled := secret.Labels[labelCredential]
			if !labelled {
				t.fail(kc, field, "credential %q failure: could not load credential from Secret: Secret %s/%s used as credential, but lacks %s label", name, kc.Namespace, name, labelCredential)
			}
			if !supportedCredentialTypes[credType] {
				t.fail(kc, field, "credential %q failure: failed to provision credential: unsupported credential type: %q", name, credType)
				continue
			}
			config := map[string]any{}
			for k, v := range secret.Data {
				switch k {
				case "redirect_uris":
					config[k] = strings.Split(string(v), ",")
				case "hash_secret":
					// The parse errors quote the Secret's value, so they are not passed on.
					b, err := strconv.ParseBool(string(v))
					if err != nil {
						t.fail(kc, field, "credential %q failure: Failed to parse hash_secret to bool: not a boolean. defaulting to false", name)
					}
					config[k] = b
				case "ttl":
					n, err := strconv.Atoi(string(v))
					if err != nil {
						t.fail(kc, field, "credential %q failure: Failed to parse ttl to int: not an integer, skipfilling the field", name)
						continue
					}
					config[k] = n
				default:
					config[k] = string(v)
				}
			}
			key, err := addCredential(c, credType, config, t.tags(secret))
			if err != nil {
				t.fail(kc, field, "credential %q failure: failed to provision credential: %v", name, err)
				continue
			}
			conflicts.add(key, secret, kc)
		}
		entries = append(entries, &consumerEntry{entity: c, obj: kc})
	}

	dropped := map[*kongv1.KongConsumer]bool{}
	for _, cf := range conflicts.detect() {
		t.fail(cf.secret, "data", "Secret has conflicting credential: %s", cf.message)
		if !dropped[cf.consumer] {
			t.fail(cf.consumer, "credentials", "Consumer has conflicting credentials: %s", cf.message)
		}
		dropped[cf.consumer] = true
	}
	for _, e := range entries {
		if dropped[e.obj] {
			continue
		}
		t.consumers = append(t.consumers, e)
		t.state.Consumers = append(t.state.Consumers, e.entity)
	}
}

// fillConsumerGroups is KIC's FillConsumerGroups: every KongConsumerGroup becomes a consumer
// group of the same name.
func (t *translator) fillConsumerGroups() {
	for _, g := range sortedByName(t.snap.KongConsumerGroups) {
		e := &kongstate.ConsumerGroup{ConsumerGroup: kong.ConsumerGroup{Name: kong.String(g.Name), Tags: t.tags(g)}}
		t.consumerGroups = append(t.consumerGroups, &consumerGroupEntry{entity: e, obj: g})
		t.state.ConsumerGroups = append(t.state.ConsumerGroups, e)
	}
}
