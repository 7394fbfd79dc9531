package translate

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kong/go-kong/kong"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// HTTPRoute RequestRedirect filters, and where kongdb deliberately differs from KIC 3.5
// (docs/deviations-from-kic.md lists each with its test):
//
//   - KIC gives Kong 3.9's redirect plugin a location without a host ("/new" when the filter
//     only replaces the path, "https:///" when it only sets the scheme), which the plugin
//     refuses: its location is a URL with scheme and host (typedefs.url). The Gateway API
//     says the request's own hostname and scheme are kept when the filter leaves them out.
//     kongdb builds the absolute URL when the route fixes both (one concrete host, one of
//     http/https, or the filter's own values), keeping the incoming path and query with
//     keep_incoming_path when the path is not replaced; when only a full path (and maybe a
//     hostname) is given and the route does not fix the rest, the Location is a relative
//     reference ("/new", "//host/new"), which clients resolve against the request's own URL,
//     sent as Kong accepts it: request-termination with a response-transformer adding it
//     (KIC's own translation before Kong 3.9); a scheme-only redirect to https on a route that
//     does not fix the host is Kong's own https redirect (protocols [https] and
//     https_redirect_status_code), which builds the Location from the request's host and URI.
//     Anything else cannot be expressed with Kong 3.9's plugins and fails translation of the
//     rule, naming it, instead of being refused by Kong.
//   - KIC builds every match of a redirecting rule on one route value and appends a copy
//     after each, so several matches (or several rules with the same filters) give routes
//     with the same name and ID, each carrying the redirect plugins of all earlier matches;
//     Kong refuses the duplicates. kongdb gives each match its own route, named after its
//     own rule and match (routesFromMatches).
//   - A statusCode left out (a manifest read without the API server's defaulting) is the
//     spec's default 302, where the plugin's own default would be 301.

// redirectStatus is the filter's status code, or the Gateway API's default, 302.
func redirectStatus(m *gatewayv1.HTTPRequestRedirectFilter) int {
	if m.StatusCode == nil {
		return 302
	}
	return *m.StatusCode
}

// redirectOnKong39 is a redirect on Kong 3.9 or later for route r, which carries one match:
// the plugins (and transformers) to add, possibly after changing r's protocols to let Kong
// redirect to https itself.
func redirectOnKong39(r *kongRoute, m *gatewayv1.HTTPRequestRedirectFilter) ([]*kong.Plugin, []transformer, error) {
	fullPath, replaced := "", false
	if m.Path != nil && m.Path.Type == gatewayv1.FullPathHTTPPathModifier && m.Path.ReplaceFullPath != nil {
		fullPath, replaced = *m.Path.ReplaceFullPath, true
	}
	scheme, host := redirectScheme(r, m), redirectHost(r, m)
	status := redirectStatus(m)
	switch {
	case scheme != "" && host != "":
		p := "/"
		if replaced {
			p = fullPath
		}
		// As KIC joins them: "https://new.example.com" for the root.
		location := scheme + "://" + path.Join(withPort(host, m.Port), p)
		return []*kong.Plugin{{Name: kong.String("redirect"), Config: kong.Configuration{
			"status_code":        status,
			"location":           location,
			"keep_incoming_path": !replaced,
		}}}, nil, nil
	case replaced && m.Scheme == nil && (m.Hostname != nil || m.Port == nil):
		ref := fullPath
		if m.Hostname != nil {
			ref = "//" + path.Join(withPort(string(*m.Hostname), m.Port), fullPath)
		}
		term := &kong.Plugin{Name: kong.String("request-termination"), Config: kong.Configuration{"status_code": status}}
		return []*kong.Plugin{term}, []transformer{{name: "response-transformer", add: []string{header("Location", ref)}}}, nil
	case !replaced && m.Scheme != nil && *m.Scheme == "https" && m.Hostname == nil && m.Port == nil &&
		slices.Contains([]int{301, 302, 307, 308}, status):
		r.Protocols = kong.StringSlice("https")
		r.HTTPSRedirectStatusCode = kong.Int(status)
		return nil, nil, nil
	}
	return nil, nil, fmt.Errorf("RequestRedirect needs the request's own host or scheme, which Kong 3.9's redirect plugin cannot take " +
		"from the request: set hostname and scheme in the filter, or give the HTTPRoute one hostname (not a wildcard)")
}

// redirectScheme is the scheme of the redirect: the filter's, or the request's when r accepts
// only one of http and https; "" when it is not known.
func redirectScheme(r *kongRoute, m *gatewayv1.HTTPRequestRedirectFilter) string {
	if m.Scheme != nil {
		return *m.Scheme
	}
	var only string
	for _, p := range r.Protocols {
		switch deref(p) {
		case "http", "https":
			if only != "" && only != *p {
				return ""
			}
			only = *p
		}
	}
	return only
}

// redirectHost is the host of the redirect: the filter's, or the request's when r matches one
// host that is not a wildcard; "" when it is not known.
func redirectHost(r *kongRoute, m *gatewayv1.HTTPRequestRedirectFilter) string {
	if m.Hostname != nil {
		return string(*m.Hostname)
	}
	if len(r.Hosts) == 1 && !strings.Contains(deref(r.Hosts[0]), "*") {
		return deref(r.Hosts[0])
	}
	return ""
}

// withPort is host with ":port" when the filter gives a port; without one the port is the
// scheme's well-known one, as the Gateway API asks when it would be 80 for http or 443 for
// https.
func withPort(host string, port *gatewayv1.PortNumber) string {
	if port == nil {
		return host
	}
	return host + ":" + strconv.Itoa(int(*port))
}

// redirectSplit returns the routes a redirecting match becomes: r itself, or, when the filter
// leaves the host or the scheme to the request and r matches several concrete hosts or both
// http and https, one copy of r per host and protocol, so that each knows the request's.
// Copies are named r's name with the host and protocol appended.
func redirectSplit(r *kongRoute, filters []gatewayv1.HTTPRouteFilter) []*kongRoute {
	var m *gatewayv1.HTTPRequestRedirectFilter
	for _, f := range filters {
		if f.Type == gatewayv1.HTTPRouteFilterRequestRedirect && f.RequestRedirect != nil {
			m = f.RequestRedirect
		}
	}
	replaced := m != nil && m.Path != nil && m.Path.Type == gatewayv1.FullPathHTTPPathModifier && m.Path.ReplaceFullPath != nil
	if m == nil || (replaced && m.Scheme == nil && (m.Hostname != nil || m.Port == nil)) {
		return []*kongRoute{r} // a relative Location keeps the request's own host and scheme
	}
	hosts := [][]*string{r.Hosts}
	if m.Hostname == nil && len(r.Hosts) > 1 && !slices.ContainsFunc(r.Hosts, func(h *string) bool { return strings.Contains(deref(h), "*") }) {
		hosts = hosts[:0]
		for _, h := range r.Hosts {
			hosts = append(hosts, []*string{h})
		}
	}
	protocols := [][]*string{r.Protocols}
	if m.Scheme == nil && redirectScheme(r, m) == "" && len(r.Protocols) > 1 {
		protocols = protocols[:0]
		for _, p := range r.Protocols {
			protocols = append(protocols, []*string{p})
		}
	}
	if len(hosts) == 1 && len(protocols) == 1 {
		return []*kongRoute{r}
	}
	var out []*kongRoute
	for _, h := range hosts {
		for _, p := range protocols {
			cp := *r
			cp.Route.Route = *r.Route.Route.DeepCopy()
			cp.Plugins = nil
			cp.Hosts, cp.Protocols = h, p
			name := deref(r.Name)
			if len(hosts) > 1 {
				name += "." + deref(h[0])
			}
			if len(protocols) > 1 {
				name += "." + deref(p[0])
			}
			cp.Name = kong.String(name)
			out = append(out, &cp)
		}
	}
	return out
}

// redirectTermination is KIC's redirect before Kong 3.9: request-termination with the status
// and a response-transformer adding Location.
func redirectTermination(m *gatewayv1.HTTPRequestRedirectFilter, matchPath string) (*kong.Plugin, transformer) {
	term := &kong.Plugin{Name: kong.String("request-termination"), Config: kong.Configuration{"status_code": statusCode(m)}}
	p := matchPath
	if m.Path != nil && m.Path.Type == gatewayv1.FullPathHTTPPathModifier && m.Path.ReplaceFullPath != nil {
		p = *m.Path.ReplaceFullPath
	}
	location := p
	if m.Hostname != nil {
		scheme, hostPort := redirectHostPort(m)
		location = scheme + "://" + path.Join(hostPort, p)
	}
	return term, transformer{name: "response-transformer", add: []string{header("Location", location)}}
}

// redirectHostPort is the scheme and host[:port] of a redirect's Location before Kong 3.9:
// scheme defaults to http, the port is left out unless given.
func redirectHostPort(m *gatewayv1.HTTPRequestRedirectFilter) (string, string) {
	scheme := "http"
	if m.Scheme != nil {
		scheme = *m.Scheme
	}
	host := ""
	if m.Hostname != nil {
		host = string(*m.Hostname)
	}
	return scheme, withPort(host, m.Port)
}

func statusCode(m *gatewayv1.HTTPRequestRedirectFilter) any {
	if m.StatusCode == nil {
		return nil
	}
	return *m.StatusCode
}
