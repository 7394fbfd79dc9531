package source

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1alpha2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
)

// applyDefaults makes an object read from a manifest look as the API server would store it,
// for every field the translation reads. The built-in kinds' defaulters live in
// k8s.io/kubernetes (not importable) and the CRDs' defaults in their OpenAPI schemas, so the
// ones that matter are written out here; the files-vs-live parity test (e2e/translate) keeps
// them honest against a real API server.
func applyDefaults(o object) {
	switch obj := o.(type) {
	case *corev1.Secret:
		defaultSecret(obj)
	case *corev1.Service:
		defaultService(obj)
	case *discoveryv1.EndpointSlice:
		defaultEndpointSlice(obj)
	case *netv1.IngressClass:
		if p := obj.Spec.Parameters; p != nil && p.Scope == nil {
			p.Scope = ptr(netv1.IngressClassParametersReferenceScopeCluster)
		}
	case *gatewayv1.Gateway:
		defaultGateway(obj)
	case *gatewayv1.HTTPRoute:
		defaultHTTPRoute(obj)
	case *gatewayv1.GRPCRoute:
		defaultGRPCRoute(obj)
	case *gatewayv1alpha2.TCPRoute:
		defaultParentRefs(obj.Spec.ParentRefs)
		for i := range obj.Spec.Rules {
			defaultBackendRefs(obj.Spec.Rules[i].BackendRefs)
		}
	case *gatewayv1alpha2.UDPRoute:
		defaultParentRefs(obj.Spec.ParentRefs)
		for i := range obj.Spec.Rules {
			defaultBackendRefs(obj.Spec.Rules[i].BackendRefs)
		}
	case *gatewayv1alpha2.TLSRoute:
		defaultParentRefs(obj.Spec.ParentRefs)
		for i := range obj.Spec.Rules {
			defaultBackendRefs(obj.Spec.Rules[i].BackendRefs)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// defaultSecret merges stringData into data, as the API server does on write (stringData
// wins over data for the same key), and defaults the type to Opaque.
func defaultSecret(s *corev1.Secret) {
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(s.StringData))
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
	}
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
}

// defaultService applies the core/v1 Service defaults: type ClusterIP, session affinity None,
// port protocol TCP and targetPort equal to port.
func defaultService(s *corev1.Service) {
	if s.Spec.Type == "" {
		s.Spec.Type = corev1.ServiceTypeClusterIP
	}
	if s.Spec.SessionAffinity == "" {
		s.Spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if s.Spec.InternalTrafficPolicy == nil && s.Spec.Type != corev1.ServiceTypeExternalName {
		s.Spec.InternalTrafficPolicy = ptr(corev1.ServiceInternalTrafficPolicyCluster)
	}
}

// defaultEndpointSlice applies discovery/v1's port defaults: name "" and protocol TCP.
func defaultEndpointSlice(e *discoveryv1.EndpointSlice) {
	for i := range e.Ports {
		p := &e.Ports[i]
		if p.Name == nil {
			p.Name = ptr("")
		}
		if p.Protocol == nil {
			p.Protocol = ptr(corev1.ProtocolTCP)
		}
	}
}

// defaultGateway applies the Gateway CRD's schema defaults: allowedRoutes from Same namespace,
// TLS mode Terminate, certificateRefs group "" kind Secret.
func defaultGateway(g *gatewayv1.Gateway) {
	for i := range g.Spec.Listeners {
		l := &g.Spec.Listeners[i]
		if l.AllowedRoutes == nil {
			l.AllowedRoutes = &gatewayv1.AllowedRoutes{}
		}
		if l.AllowedRoutes.Namespaces == nil {
			l.AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{}
		}
		if l.AllowedRoutes.Namespaces.From == nil {
			l.AllowedRoutes.Namespaces.From = ptr(gatewayv1.NamespacesFromSame)
		}
		for j := range l.AllowedRoutes.Kinds {
			if l.AllowedRoutes.Kinds[j].Group == nil {
				l.AllowedRoutes.Kinds[j].Group = ptr(gatewayv1.Group(gatewayv1.GroupName))
			}
		}
		if l.TLS != nil {
			if l.TLS.Mode == nil {
				l.TLS.Mode = ptr(gatewayv1.TLSModeTerminate)
			}
			for j := range l.TLS.CertificateRefs {
				ref := &l.TLS.CertificateRefs[j]
				if ref.Group == nil {
					ref.Group = ptr(gatewayv1.Group(""))
				}
				if ref.Kind == nil {
					ref.Kind = ptr(gatewayv1.Kind("Secret"))
				}
			}
		}
	}
}

// defaultParentRefs applies ParentReference's defaults: group gateway.networking.k8s.io,
// kind Gateway.
func defaultParentRefs(refs []gatewayv1.ParentReference) {
	for i := range refs {
		if refs[i].Group == nil {
			refs[i].Group = ptr(gatewayv1.Group(gatewayv1.GroupName))
		}
		if refs[i].Kind == nil {
			refs[i].Kind = ptr(gatewayv1.Kind("Gateway"))
		}
	}
}

// defaultBackendRefs applies BackendRef's defaults: group "", kind Service, weight 1.
func defaultBackendRefs(refs []gatewayv1.BackendRef) {
	for i := range refs {
		defaultBackendObjectRef(&refs[i].BackendObjectReference)
		if refs[i].Weight == nil {
			refs[i].Weight = ptr(int32(1))
		}
	}
}

func defaultBackendObjectRef(ref *gatewayv1.BackendObjectReference) {
	if ref.Group == nil {
		ref.Group = ptr(gatewayv1.Group(""))
	}
	if ref.Kind == nil {
		ref.Kind = ptr(gatewayv1.Kind("Service"))
	}
}

// defaultHTTPRoute applies the HTTPRoute CRD's defaults: a route without rules gets one rule
// matching PathPrefix "/"; a rule without matches, and a match without a path, match
// PathPrefix "/"; header and query matches are Exact; redirects answer 302.
func defaultHTTPRoute(r *gatewayv1.HTTPRoute) {
	defaultParentRefs(r.Spec.ParentRefs)
	if len(r.Spec.Rules) == 0 {
		r.Spec.Rules = []gatewayv1.HTTPRouteRule{{}}
	}
	for i := range r.Spec.Rules {
		rule := &r.Spec.Rules[i]
		if len(rule.Matches) == 0 {
			rule.Matches = []gatewayv1.HTTPRouteMatch{{}}
		}
		for j := range rule.Matches {
			m := &rule.Matches[j]
			if m.Path == nil {
				m.Path = &gatewayv1.HTTPPathMatch{}
			}
			if m.Path.Type == nil {
				m.Path.Type = ptr(gatewayv1.PathMatchPathPrefix)
			}
			if m.Path.Value == nil {
				m.Path.Value = ptr("/")
			}
			for k := range m.Headers {
				if m.Headers[k].Type == nil {
					m.Headers[k].Type = ptr(gatewayv1.HeaderMatchExact)
				}
			}
			for k := range m.QueryParams {
				if m.QueryParams[k].Type == nil {
					m.QueryParams[k].Type = ptr(gatewayv1.QueryParamMatchExact)
				}
			}
		}
		defaultHTTPFilters(rule.Filters)
		for j := range rule.BackendRefs {
			b := &rule.BackendRefs[j]
			defaultBackendObjectRef(&b.BackendObjectReference)
			if b.Weight == nil {
				b.Weight = ptr(int32(1))
			}
			defaultHTTPFilters(b.Filters)
		}
	}
}

func defaultHTTPFilters(filters []gatewayv1.HTTPRouteFilter) {
	for i := range filters {
		if rr := filters[i].RequestRedirect; rr != nil && rr.StatusCode == nil {
			rr.StatusCode = ptr(302)
		}
		if m := filters[i].RequestMirror; m != nil {
			defaultBackendObjectRef(&m.BackendRef)
		}
	}
}

// defaultGRPCRoute applies the GRPCRoute CRD's defaults: method and header matches are Exact.
func defaultGRPCRoute(r *gatewayv1.GRPCRoute) {
	defaultParentRefs(r.Spec.ParentRefs)
	for i := range r.Spec.Rules {
		rule := &r.Spec.Rules[i]
		for j := range rule.Matches {
			m := &rule.Matches[j]
			if m.Method != nil && m.Method.Type == nil {
				m.Method.Type = ptr(gatewayv1.GRPCMethodMatchExact)
			}
			for k := range m.Headers {
				if m.Headers[k].Type == nil {
					m.Headers[k].Type = ptr(gatewayv1.GRPCHeaderMatchExact)
				}
			}
		}
		for j := range rule.BackendRefs {
			b := &rule.BackendRefs[j]
			defaultBackendObjectRef(&b.BackendObjectReference)
			if b.Weight == nil {
				b.Weight = ptr(int32(1))
			}
		}
	}
}
