// Package translate turns a source.Snapshot into the desired Kong state (kongstate.State)
// exactly as the Kong Ingress Controller 3.5 translator does: the same entity names, UUIDv5
// IDs, tags, defaults and path rules, so a Kong that KIC managed can be taken over with zero
// writes. It is pure: no I/O, no clocks, no randomness; the same snapshot gives the same state.
//
// # Shape
//
// Translate builds a translator and runs it in KIC's order (BuildKongConfig):
//
//  1. Every route-producing kind contributes a ruleSet (KIC's ingressRules): Kong services keyed
//     by name, each with its routes and Kubernetes backends, plus Secret→SNI demands. The kinds
//     are merged in KIC's order (Ingress, TCPIngress, UDPIngress, HTTPRoute, UDPRoute, TCPRoute,
//     TLSRoute, GRPCRoute); within one kind routes of the same service accumulate, across kinds a
//     later kind's service of the same name replaces the earlier one (as KIC's mergeIngressRules).
//  2. populateServices resolves backends to Kubernetes Services (annotations, client
//     certificates, CA certificates, tags); upstreams and targets come from EndpointSlices.
//  3. Service and route annotation overrides, KongIngress/KongUpstreamPolicy upstream overrides.
//  4. Consumers and credentials, vaults, consumer groups, plugins (every konghq.com/plugins
//     reference on a Service, a route's parent object, a KongConsumer or a KongConsumerGroup),
//     certificates (TLS Secrets named by the SNI demands), CA certificates; then IDs.
//
// # Adding a kind (how a per-kind file plugs in)
//
// A route-producing kind lives in its own file as a method on *translator that returns a
// ruleSet, and is listed in (*translator).ruleSets in translate.go (ingress.go, tcpingress.go,
// udpingress.go, httproute.go, grpcroute.go and l4route.go are the ones there are; gatewayapi.go
// holds what the Gateway API kinds share). Inside the method:
//
//	rs := newRuleSet()
//	svc := rs.service(name, func() *kongService { return &kongService{...} }) // get or create
//	svc.Backends = append(svc.Backends, serviceBackend{Namespace: ns, Name: n, Port: portDef, Weight: &w})
//	svc.Routes = append(svc.Routes, &kongRoute{Route: kongstate.Route{Route: kong.Route{...}}, Parent: obj})
//	rs.addSNIs(secretNamespace, secretName, hosts, obj) // TLS Secret → certificate with SNIs
//	t.fail(obj, "spec.rules[0].backendRefs", "no such Service %q", n) // diagnostic; skip the part
//	return rs
//
// Cross-namespace references check t.idx.referenceAllowed(grantRef{...}) (KIC's ReferenceGrant
// rule); Gateway listener certificates are returned by gatewayCertificates as certificateDrafts
// and merged after the Ingress ones by fillCertificates.
//
// Route fields from konghq.com/* annotations on the route's Parent, konghq.com/plugins on the
// Parent, Service-level annotations, upstreams and targets are handled centrally once the kind
// has registered its services, routes and backends; t.tags(obj) gives KIC's k8s-* tags for an
// object. Plugins a kind generates itself (for example a Gateway API filter) go in
// kongRoute.Plugins or kongService.Plugins. Every object that cannot be translated, wholly or in
// part, gets one diagnostic per problem through t.fail or t.warn, naming the object, the field
// and the reason; the rest is still translated.
package translate
