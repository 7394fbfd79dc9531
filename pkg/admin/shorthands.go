package admin

import "github.com/kong/go-kong/kong"

// upstreamAsStored rewrites a filled upstream's algorithm and hash_on as Kong 3.9 does on every
// write, so the body sent is the upstream Kong stores and a second sync compares equal. Kong's
// upstreams schema declares both as shorthand fields, applied in order before validation
// (kong/db/schema/entities/upstreams.lua, shorthand_fields; Schema:process_auto_fields):
// algorithm least-connections or latency nulls hash_on, which the hash_on shorthand then makes
// "none"; otherwise a hash_on of "none" makes the algorithm round-robin and any other hash_on
// makes it consistent-hashing. KIC's translation may ask for a pair Kong never stores (a
// KongIngress's hash_on with a policy's least-connections); the translation stays as KIC's,
// only the write and the comparison follow Kong.
func upstreamAsStored(u *kong.Upstream) {
	if u.Algorithm != nil && (*u.Algorithm == "least-connections" || *u.Algorithm == "latency") {
		u.HashOn = kong.String("none")
		return
	}
	if u.HashOn == nil {
		return
	}
	if *u.HashOn == "none" {
		u.Algorithm = kong.String("round-robin")
	} else {
		u.Algorithm = kong.String("consistent-hashing")
	}
}
