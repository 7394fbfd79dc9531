// Package plan turns a desired and a current Kong state into the writes that make Kong equal
// to the desired state: a DAG of create, update and delete operations whose edges follow
// Kong's foreign keys. It is pure: no I/O, the same inputs give the same plan.
package plan

import "github.com/kongdb/kubectl-kongdb/pkg/kongstate"

// Kind is a Kong entity type, named as the Admin API names the entity.
type Kind string

// The entity kinds a plan handles.
const (
	KindCertificate   Kind = "certificate"
	KindSNI           Kind = "sni"
	KindCACertificate Kind = "ca_certificate"
	KindService       Kind = "service"
	KindRoute         Kind = "route"
	KindUpstream      Kind = "upstream"
	KindTarget        Kind = "target"
	KindConsumer      Kind = "consumer"
	KindConsumerGroup Kind = "consumer_group"
	KindKeyAuth       Kind = "key-auth"
	KindBasicAuth     Kind = "basic-auth"
	KindHMACAuth      Kind = "hmac-auth"
	KindJWT           Kind = "jwt"
	KindACL           Kind = "acl"
	KindOAuth2        Kind = "oauth2"
	KindMTLSAuth      Kind = "mtls-auth"
	KindVault         Kind = "vault"
	KindPlugin        Kind = "plugin"
	// KindConsumerGroupMember is a consumer's membership of a consumer group (Enterprise):
	// /consumer_groups/{group}/consumers, created with {"consumer": id}, deleted at
	// /consumer_groups/{group}/consumers/{consumer}. It has no ID, no fields and no tags of
	// its own: it is ours when its group and its consumer are.
	KindConsumerGroupMember Kind = "consumer_group_consumer"
)

// fk is a foreign-key field of an entity's body and the kind it points at.
type fk struct {
	field string
	kind  Kind
}

// spec is everything the planner knows about one kind, as data: where it lives in the Admin
// API, what it refers to, what identifies it and what must never be printed.
//
// The dependency order is the foreign keys below, and nothing else:
//
//	certificate ──▶ sni            upstream ──▶ target
//	certificate ──▶ service, upstream (client_certificate)
//	ca_certificate ──▶ service (ca_certificates)
//	service ──▶ route              consumer ──▶ key-auth, basic-auth, hmac-auth, jwt, acl, oauth2, mtls-auth
//	service, route, consumer, consumer_group ──▶ plugin
//	consumer_group, consumer ──▶ consumer_group_consumer (membership)
//
// Creates and updates run parent first; deletes run child first.
type spec struct {
	kind Kind
	// collection is the Admin API path of the kind ("/services"); for kinds nested under a
	// parent (targets, credentials) it is the sub-path after the parent ("targets").
	collection string
	// parent is the foreign key whose entity the kind's path is nested under, if any.
	parent string
	// fks are the foreign keys held as {"id": ...} objects.
	fks []fk
	// idLists are fields holding arrays of IDs of another kind (service.ca_certificates).
	idLists []fk
	// key are the fields whose values identify an entity among its kind; a field that is a
	// foreign key contributes its parent's key. Empty means the ID.
	key []string
	// addressByName addresses the entity by name in paths (SNIs: kongstate keeps no SNI IDs).
	addressByName bool
	// secrets are body fields never printed.
	secrets []string
	// display are the fields shown as the entity's name (never secrets); empty means key.
	display []string
	// computed are fields Kong derives on write (a CA certificate's digest); they are dropped
	// when read, since no desired state states them.
	computed []string
	// addressBy, when set, is the foreign key whose parent's ID addresses the entity in paths
	// (a membership, which has no ID: /consumer_groups/{g}/consumers/{consumer}); its write
	// body is then that one key as a plain ID, as Kong's membership endpoint takes it.
	addressBy string
}

var consumerFK = []fk{{"consumer", KindConsumer}}

// specs lists the kinds parents first; plans, diffs and reports follow this order.
var specs = []spec{
	{kind: KindCACertificate, collection: "/ca_certificates", computed: []string{"cert_digest"}},
	{kind: KindCertificate, collection: "/certificates", secrets: []string{"key", "key_alt"}},
	{kind: KindSNI, collection: "/snis", fks: []fk{{"certificate", KindCertificate}}, key: []string{"name"}, addressByName: true},
	{kind: KindVault, collection: "/vaults", key: []string{"prefix"}, secrets: []string{"config"}},
	{kind: KindService, collection: "/services", key: []string{"name"},
		fks: []fk{{"client_certificate", KindCertificate}}, idLists: []fk{{"ca_certificates", KindCACertificate}}},
	{kind: KindRoute, collection: "/routes", key: []string{"name"}, fks: []fk{{"service", KindService}}},
	{kind: KindUpstream, collection: "/upstreams", key: []string{"name"}, fks: []fk{{"client_certificate", KindCertificate}}},
	{kind: KindTarget, collection: "targets", parent: "upstream", fks: []fk{{"upstream", KindUpstream}}, key: []string{"upstream", "target"}},
	{kind: KindConsumerGroup, collection: "/consumer_groups", key: []string{"name"}},
	{kind: KindConsumer, collection: "/consumers", key: []string{"username", "custom_id"}},
	{kind: KindKeyAuth, collection: "key-auth", parent: "consumer", fks: consumerFK, key: []string{"key"},
		secrets: []string{"key"}, display: []string{"consumer", "id"}},
	{kind: KindBasicAuth, collection: "basic-auth", parent: "consumer", fks: consumerFK, key: []string{"username"},
		secrets: []string{"password"}, display: []string{"consumer", "username"}},
	{kind: KindHMACAuth, collection: "hmac-auth", parent: "consumer", fks: consumerFK, key: []string{"username"},
		secrets: []string{"secret"}, display: []string{"consumer", "username"}},
	{kind: KindJWT, collection: "jwt", parent: "consumer", fks: consumerFK, key: []string{"key"},
		secrets: []string{"secret"}, display: []string{"consumer", "key"}},
	{kind: KindACL, collection: "acls", parent: "consumer", fks: consumerFK, key: []string{"consumer", "group"}},
	{kind: KindOAuth2, collection: "oauth2", parent: "consumer", fks: consumerFK, key: []string{"client_id"},
		secrets: []string{"client_secret"}, display: []string{"consumer", "name"}},
	{kind: KindMTLSAuth, collection: "mtls-auth", parent: "consumer", fks: consumerFK, key: []string{"consumer", "subject_name"}},
	{kind: KindConsumerGroupMember, collection: "consumers", parent: "consumer_group", addressBy: "consumer",
		fks: []fk{{"consumer_group", KindConsumerGroup}, {"consumer", KindConsumer}}, key: []string{"consumer_group", "consumer"}},
	{kind: KindPlugin, collection: "/plugins", key: []string{"name", "service", "route", "consumer", "consumer_group"},
		fks: []fk{{"service", KindService}, {"route", KindRoute}, {"consumer", KindConsumer}, {"consumer_group", KindConsumerGroup}}},
}

var specOf = func() map[Kind]*spec {
	m := map[Kind]*spec{}
	for i := range specs {
		m[specs[i].kind] = &specs[i]
	}
	return m
}()

// Kinds returns every kind, parents first.
func Kinds() []Kind {
	out := make([]Kind, len(specs))
	for i, s := range specs {
		out[i] = s.kind
	}
	return out
}

// Count is how many entities of each kind s holds once flattened as Build flattens it (SNIs
// and credentials counted as entities of their own), for status's desired and actual columns.
func Count(s *kongstate.State, ownershipTag string) (map[Kind]int, error) {
	side, err := flatten(s, ownershipTag)
	if err != nil {
		return nil, err
	}
	n := map[Kind]int{}
	for _, e := range side.all {
		n[e.kind.kind]++
	}
	return n, nil
}
