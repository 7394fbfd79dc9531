package translate

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kong/go-kong/kong"
	corev1 "k8s.io/api/core/v1"
)

// populateServices is KIC's ingressRules.populateServices: it resolves every Kong service's
// backends to Kubernetes Services, checks that a multi-Service backend's konghq.com/*
// annotations agree (otherwise the Kong service is skipped), handles client and CA
// certificates, and sets the service tags. It returns the names of services to skip.
func (t *translator) populateServices(rs *ruleSet) map[string]bool {
	skip := map[string]bool{}
	for _, name := range rs.order {
		svc := rs.services[name]
		svc.k8sServices = map[string]*corev1.Service{}
		var k8sServices []*corev1.Service
		seen := map[string]string{}
		for _, b := range svc.Backends {
			k := t.k8sService(b.Namespace, b.Name)
			if k == nil {
				t.fail(svc.Parent, "", "failed to resolve Kubernetes Service for backend: Service %s/%s not found", b.Namespace, b.Name)
				continue
			}
			for key, v := range k.Annotations {
				if strings.HasPrefix(key, "konghq.com") {
					seen[key] = v
				}
			}
			k8sServices = append(k8sServices, k)
		}
		if !t.consistentAnnotations(k8sServices, seen, name) {
			skip[name] = true
			continue
		}
		for _, k := range k8sServices {
			t.clientCertificate(k, svc, rs)
			t.caCertificatesOfService(k, svc)
			svc.k8sServices[nsName(k.Namespace, k.Name)] = k
		}
		svc.k8sServiceKeys = slices.Sorted(maps.Keys(svc.k8sServices))
		svc.Tags = t.serviceTags(k8sServices, svc)
	}
	return skip
}

// consistentAnnotations is KIC's collectInconsistentAnnotations: every konghq.com annotation
// seen on any backend Service must be on all of them with the same value.
func (t *translator) consistentAnnotations(services []*corev1.Service, seen map[string]string, kongService string) bool {
	bad := map[string]bool{}
	for _, s := range services {
		for k, v := range seen {
			if got, ok := s.Annotations[k]; !ok || got != v {
				bad[k] = true
			}
		}
	}
	for _, s := range services {
		for _, k := range slices.Sorted(maps.Keys(bad)) {
			t.fail(s, annField(k), "Service has inconsistent %s annotation and is used in multi-Service backend %s. This annotation must have the same value across all Services in the backend.", k, kongService)
		}
	}
	return len(bad) == 0
}

// serviceTags is KIC's generateKongServiceTags: the single backing Service's tags; with several,
// the route object's; with none, KIC's placeholder tags.
func (t *translator) serviceTags(k8sServices []*corev1.Service, svc *kongService) []*string {
	switch {
	case len(k8sServices) > 1:
		return t.tags(svc.Parent)
	case len(k8sServices) == 1:
		return t.tags(k8sServices[0])
	}
	return kong.StringSlice(
		tagName+"UNKNOWN",
		tagNamespace+"UNKNOWN",
		tagKind+"Service",
		tagUID+"00000000-0000-0000-0000-000000000000",
		tagGroup+"core",
		tagVersion+"v1",
	)
}

// effectiveProtocol is the Service's konghq.com/protocol, or http.
func effectiveProtocol(s *corev1.Service) string {
	if p := s.Annotations[annProtocol]; p != "" {
		return p
	}
	return "http"
}

func isNonTLSProtocol(p string) bool {
	switch p {
	case "http", "grpc", "tcp", "tls_passthrough", "udp", "ws":
		return true
	}
	return false
}

// clientCertificate handles konghq.com/client-cert: the Secret becomes a Kong certificate and
// the service's client_certificate.
func (t *translator) clientCertificate(k *corev1.Service, svc *kongService, rs *ruleSet) {
	name := k.Annotations[annClientCert]
	if name == "" {
		return
	}
	secret := t.idx.secrets[nsName(k.Namespace, name)]
	if secret == nil {
		t.fail(k, annField(annClientCert), "failed to fetch secret '%s/%s': not found", k.Namespace, name)
		return
	}
	if p := effectiveProtocol(k); isNonTLSProtocol(p) {
		t.fail(k, annField(annClientCert), "client certificate requested for incompatible service protocol '%s'", deref(svc.Protocol))
		return
	}
	rs.snis.addParent(nsName(k.Namespace, name), k)
	svc.ClientCertificate = &kong.Certificate{ID: kong.String(t.certificateID(secret))}
}

// caCertificatesOfService handles konghq.com/ca-certificates-secrets: each Secret's data "id"
// goes into the service's ca_certificates (tls-verify must be true and the protocol TLS).
func (t *translator) caCertificatesOfService(k *corev1.Service, svc *kongService) {
	secrets := commaList(k.Annotations[annCACertificatesSecrets])
	configMaps := commaList(k.Annotations[annCACertificatesConfigMap])
	if len(secrets)+len(configMaps) == 0 {
		return
	}
	if v, ok := parseTLSVerify(k.Annotations); !ok || !v {
		t.fail(k, annField(annCACertificatesSecrets), "CA certificates requested for service without TLS verification enabled")
		return
	}
	if p := effectiveProtocol(k); isNonTLSProtocol(p) {
		t.fail(k, annField(annCACertificatesSecrets), "CA certificates requested for incompatible service protocol '%s'", p)
		return
	}
	for _, name := range secrets {
		secret := t.idx.secrets[nsName(k.Namespace, name)]
		if secret == nil {
			t.fail(k, annField(annCACertificatesSecrets), "failed to fetch secret for CA Certificate '%s/%s': not found", k.Namespace, name)
			continue
		}
		id, ok := secret.Data["id"]
		if !ok {
			t.fail(secret, "data.id", "invalid CA certificate '%s/%s': missing 'id' field in data", k.Namespace, name)
			t.fail(k, annField(annCACertificatesSecrets), "invalid CA certificate '%s/%s': missing 'id' field in data", k.Namespace, name)
			continue
		}
		svc.CACertificates = append(svc.CACertificates, kong.String(string(id)))
	}
	for _, name := range configMaps {
		cm := t.idx.configMaps[nsName(k.Namespace, name)]
		if cm == nil {
			t.fail(k, annField(annCACertificatesConfigMap), "failed to fetch configmap for CA Certificate '%s/%s': not found", k.Namespace, name)
			continue
		}
		id, ok := cm.Data["id"]
		if !ok {
			t.fail(cm, "data.id", "invalid CA certificate '%s/%s': missing 'id' field in data", k.Namespace, name)
			t.fail(k, annField(annCACertificatesConfigMap), "invalid CA certificate '%s/%s': missing 'id' field in data", k.Namespace, name)
			continue
		}
		svc.CACertificates = append(svc.CACertificates, kong.String(id))
	}
}

// overrideService applies the backing Services' konghq.com/* annotations to the Kong service
// in name order (KIC's Service.override); an invalid konghq.com/protocol is a failure.
func (t *translator) overrideService(svc *kongService) {
	for _, key := range svc.k8sServiceKeys {
		k := svc.k8sServices[key]
		anns := k.Annotations
		if p := anns[annProtocol]; p != "" && validateProtocol(p) {
			svc.Protocol = kong.String(p)
		}
		if p := anns[annPath]; strings.HasPrefix(p, "/") {
			svc.Path = kong.String(p)
		} else if p != "" {
			t.warn(k, annField(annPath), "ignored: %q does not start with /", p)
		}
		t.intAnnotation(k, annConnectTimeout, &svc.ConnectTimeout)
		t.intAnnotation(k, annWriteTimeout, &svc.WriteTimeout)
		t.intAnnotation(k, annReadTimeout, &svc.ReadTimeout)
		t.intAnnotation(k, annRetries, &svc.Retries)
		if v, ok := anns[annTLSVerify]; ok {
			if b, err := strconv.ParseBool(v); err == nil {
				svc.TLSVerify = kong.Bool(b)
			} else {
				t.warn(k, annField(annTLSVerify), "ignored: %q is not a boolean", v)
			}
		}
		t.intAnnotation(k, annTLSVerifyDepth, &svc.TLSVerifyDepth)
		if p := anns[annProtocol]; !validateProtocol(p) {
			t.fail(k, annField(annProtocol), "%s annotation has invalid value: %s", annProtocol, p)
		}
	}
	if p := deref(svc.Protocol); p == "grpc" || p == "grpcs" {
		svc.Path = nil
	}
}

// intAnnotation sets *dst from an integer annotation; a non-integer is ignored, as KIC does,
// with a warning.
func (t *translator) intAnnotation(obj object, key string, dst **int) {
	v, ok := obj.GetAnnotations()[key]
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.warn(obj, annField(key), "ignored: %q is not an integer", v)
		return
	}
	*dst = kong.Int(n)
}
