package admin

import "github.com/kong/go-kong/kong"

// Kong 3.9's conditional defaults: what /schemas does not say. GET /schemas/<entity> answers
// an entity's generic schema only, while Kong validates and fills a write with the subschema
// its subschema key selects, and rewrites some fields through shorthands. Filling desired from
// the generic schema alone gives bodies Kong refuses, or that it stores otherwise, so the
// entity comes back changed on every sync. Each rule below was read from Kong 3.9's entity
// schemas (mirrored by the emulator's sim/emulator/schema) and is tested against the
// emulator's answer and against bodies as Kong 3.9 returns them (subschemas_test.go):
//
//   - routes (kong/db/schema/entities/routes_subschemas.lua, subschema key "protocols", the
//     first protocol selects it): the grpc subschema (grpc, grpcs) redeclares strip_path as
//     required with default false and `ne = true`, so the generic default true is refused
//     ("cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"): filled by
//     subschemaDefaults. The stream subschema (tcp, tls, udp, tls_passthrough) only forbids
//     methods, hosts, paths and headers, which have no default; strip_path, preserve_host,
//     the buffering flags, https_redirect_status_code, regex_priority and path_handling stay
//     base fields with their generic defaults, and Kong stores them on a stream route too.
//     The http subschema forbids sources and destinations, which have no default.
//   - upstreams (upstreams.lua, shorthand_fields): algorithm and hash_on rewrite each other on
//     every write: upstreamAsStored. hash_on_cookie_path defaults to "/" whatever hash_on is,
//     as the generic schema says; the hash_* entity checks are refusals, not defaults
//     (pkg/preflight checks them).
//   - services (services.lua): no conditional default. path, client_certificate, tls_verify,
//     tls_verify_depth and ca_certificates must be null unless the protocol allows them, but
//     none has a default to fill; they are refusals (pkg/preflight).
//   - plugins and vaults select their subschema by name: their config is filled from
//     /schemas/plugins/<name> (FillPluginsDefaults) and the vault's own schema.

// subschemaDefaults fills, before the generic defaults, the fields whose default the entity's
// subschema redeclares. It leaves every field the entity sets alone.
func subschemaDefaults(r *kong.Route) {
	if r.StripPath == nil && len(r.Protocols) > 0 && r.Protocols[0] != nil {
		switch *r.Protocols[0] {
		case "grpc", "grpcs":
			r.StripPath = kong.Bool(false)
		}
	}
}
