package proxy

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"
)

func init() {
	executed["request-transformer"] = pluginKind{priority: 801, build: buildRequestTransformer}
	executed["response-transformer"] = pluginKind{priority: 800, build: buildResponseTransformer}
	executed["cors"] = pluginKind{priority: 2000, build: buildCORS}
	executed["correlation-id"] = pluginKind{priority: 100001, build: buildCorrelationID}
}

func toLower(s string) string { return strings.ToLower(s) }

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// headerOps are a transformer's header operations in Kong's order:
// remove, rename, replace, add, append; each entry "name:value" (rename
// "old:new").
type headerOps struct {
	remove                     []string
	rename, replace, add, apnd [][2]string
}

func readHeaderOps(c *row, unsupported *[]string) headerOps {
	var ops headerOps
	pairs := func(op string) [][2]string {
		var out [][2]string
		for _, e := range c.sub(op).strs("headers") {
			name, value, _ := strings.Cut(e, ":")
			value = strings.TrimLeft(value, ":")
			out = append(out, [2]string{name, value})
		}
		return out
	}
	ops.remove = c.sub("remove").strs("headers")
	ops.rename, ops.replace, ops.add, ops.apnd = pairs("rename"), pairs("replace"), pairs("add"), pairs("append")
	for _, op := range []string{"remove", "rename", "replace", "add", "append"} {
		sub := c.sub(op)
		for _, field := range []string{"querystring", "body", "json", "json_types"} {
			if len(sub.strs(field)) > 0 {
				*unsupported = append(*unsupported, op+"."+field)
			}
		}
	}
	for _, p := range append(append(append(append([][2]string{}, ops.rename...), ops.replace...), ops.add...), ops.apnd...) {
		if strings.Contains(p[1], "$(") {
			*unsupported = append(*unsupported, "template "+p[1])
		}
	}
	return ops
}

// errPartial refuses a transformer configuration the emulator would only
// half execute; Compile reports the plugin as not executed instead.
type errPartial struct{ what []string }

func (e errPartial) Error() string {
	return "the emulator executes header operations only, not " + strings.Join(e.what, ", ")
}

type requestTransformer struct {
	ops headerOps
}

func buildRequestTransformer(c *row, _ scope) (instance, error) {
	var unsupported []string
	ops := readHeaderOps(c, &unsupported)
	if m := c.str("http_method"); m != "" {
		unsupported = append(unsupported, "http_method")
	}
	if u := c.sub("replace").str("uri"); u != "" {
		unsupported = append(unsupported, "replace.uri")
	}
	if len(unsupported) > 0 {
		return nil, errPartial{unsupported}
	}
	return &requestTransformer{ops: ops}, nil
}

// access is request-transformer's transform_headers: the request headers
// sent upstream; replacing "host" changes the upstream Host header.
func (t *requestTransformer) access(x *exchange, _ http.ResponseWriter) bool {
	h := x.req.Header
	for _, name := range t.ops.remove {
		h.Del(name)
	}
	for _, p := range t.ops.rename {
		if v, ok := h[http.CanonicalHeaderKey(p[0])]; ok {
			h.Del(p[0])
			h[http.CanonicalHeaderKey(p[1])] = v
		}
	}
	for _, p := range t.ops.replace {
		if strings.EqualFold(p[0], "host") {
			x.req.Host = p[1]
			x.hostOverride = true
			continue
		}
		if h.Get(p[0]) != "" {
			h.Set(p[0], p[1])
		}
	}
	for _, p := range t.ops.add {
		if _, ok := h[http.CanonicalHeaderKey(p[0])]; !ok && !strings.EqualFold(p[0], "host") {
			h.Set(p[0], p[1])
		}
	}
	for _, p := range t.ops.apnd {
		if !strings.EqualFold(p[0], "host") {
			h.Add(p[0], p[1])
		}
	}
	return false
}

type responseTransformer struct {
	ops headerOps
}

func buildResponseTransformer(c *row, _ scope) (instance, error) {
	var unsupported []string
	ops := readHeaderOps(c, &unsupported)
	if len(unsupported) > 0 {
		return nil, errPartial{unsupported}
	}
	return &responseTransformer{ops: ops}, nil
}

func (t *responseTransformer) access(*exchange, http.ResponseWriter) bool { return false }

// headerFilter is response-transformer's header_transformer.lua.
func (t *responseTransformer) headerFilter(_ *exchange, h http.Header, _ int) {
	for _, name := range t.ops.remove {
		h.Del(name)
	}
	for _, p := range t.ops.rename {
		if v, ok := h[http.CanonicalHeaderKey(p[0])]; ok && p[1] != "" {
			h.Del(p[0])
			h[http.CanonicalHeaderKey(p[1])] = v
		}
	}
	for _, p := range t.ops.replace {
		if _, ok := h[http.CanonicalHeaderKey(p[0])]; ok && p[1] != "" {
			h.Set(p[0], p[1])
		}
	}
	for _, p := range t.ops.add {
		if _, ok := h[http.CanonicalHeaderKey(p[0])]; !ok && p[1] != "" {
			h.Set(p[0], p[1])
		}
	}
	for _, p := range t.ops.apnd {
		h.Add(p[0], p[1])
	}
}

type cors struct {
	origins, headers, exposed, methods []string
	hasMethods                         bool
	maxAge                             string
	credentials, preflightContinue     bool
	privateNetwork                     bool
	matchers                           []corsOrigin
}

type corsOrigin struct {
	re     *regexp.Regexp
	domain string
	byHost bool
}

var plainOrigin = regexp.MustCompile(`^[A-Za-z0-9.:/-]+$`)

func buildCORS(c *row, _ scope) (instance, error) {
	k := &cors{origins: c.strs("origins"), headers: c.strs("headers"), exposed: c.strs("exposed_headers"),
		methods: c.strs("methods"), hasMethods: c.has("methods"), credentials: c.boolean("credentials", false),
		preflightContinue: c.boolean("preflight_continue", false), privateNetwork: c.boolean("private_network", false)}
	if c.has("max_age") {
		k.maxAge = strconv.FormatFloat(c.num("max_age", 0), 'f', -1, 64)
	}
	for _, o := range k.origins {
		m := corsOrigin{byHost: !strings.Contains(o, ":")}
		if !plainOrigin.MatchString(o) {
			if !strings.HasSuffix(o, "$") {
				o += "$"
			}
			re, err := regexp.Compile("^" + strings.TrimPrefix(o, "^"))
			if err != nil {
				return nil, fmt.Errorf("origins: %q: %w", o, err)
			}
			m.re = re
		} else {
			m.domain = normalizeOrigin(o).domain
		}
		k.matchers = append(k.matchers, m)
	}
	return k, nil
}

type origin struct{ domain, host string }

// normalizeOrigin is cors' normalize_origin: scheme://host[:port] without
// the scheme's default port.
func normalizeOrigin(s string) origin {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return origin{domain: s, host: s}
	}
	port := u.Port()
	if u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		port = ""
	}
	d := u.Hostname()
	if u.Scheme != "" {
		d = u.Scheme + "://" + d
	}
	if port != "" {
		d += ":" + port
	}
	return origin{domain: d, host: u.Hostname()}
}

// configureOrigin sets Access-Control-Allow-Origin; true means "*".
func (k *cors) configureOrigin(x *exchange, h http.Header, filter bool) bool {
	if len(k.origins) == 0 || len(k.origins) == 1 && k.origins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
		return true
	}
	if filter {
		h.Add("Vary", "Origin")
	} else {
		h.Set("Vary", "Origin")
	}
	if len(k.origins) == 1 && plainOrigin.MatchString(k.origins[0]) {
		h.Set("Access-Control-Allow-Origin", k.origins[0])
		return false
	}
	if reqOrigin := x.req.Header.Get("Origin"); reqOrigin != "" {
		for _, o := range k.origins {
			if o == "*" {
				h.Set("Access-Control-Allow-Origin", "*")
				return true
			}
		}
		n := normalizeOrigin(reqOrigin)
		for _, m := range k.matchers {
			found := m.domain != "" && n.domain == m.domain
			if m.re != nil {
				subject := n.domain
				if m.byHost {
					subject = n.host
				}
				found = m.re.MatchString(subject)
			}
			if found {
				h.Set("Access-Control-Allow-Origin", n.domain)
				return false
			}
		}
	}
	h.Del("Access-Control-Allow-Origin")
	return false
}

func (k *cors) configureCredentials(x *exchange, h http.Header, allowAll, filter bool) {
	if !k.credentials {
		return
	}
	if !allowAll {
		h.Set("Access-Control-Allow-Credentials", "true")
		return
	}
	if o := x.req.Header.Get("Origin"); o != "" {
		if filter {
			h.Add("Vary", "Origin")
		} else {
			h.Set("Vary", "Origin")
		}
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// access answers preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) with 200 unless preflight_continue.
func (k *cors) access(x *exchange, w http.ResponseWriter) bool {
	r := x.req
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	x.corsPreflight = true
	if k.preflightContinue {
		return false
	}
	h := http.Header{}
	allowAll := k.configureOrigin(x, h, false)
	k.configureCredentials(x, h, allowAll, false)
	if len(k.headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(k.headers, ","))
	} else if acrh := r.Header.Get("Access-Control-Request-Headers"); acrh != "" {
		h.Set("Access-Control-Allow-Headers", acrh)
	}
	methods := "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"
	if k.hasMethods {
		methods = strings.Join(k.methods, ",")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if k.maxAge != "" {
		h.Set("Access-Control-Max-Age", k.maxAge)
	}
	if k.privateNetwork && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	for name, v := range h {
		x.respHeader = ensure(x.respHeader)
		x.respHeader[name] = v
	}
	x.s.kongResponse(w, x, http.StatusOK, nil, nil)
	return true
}

func ensure(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h
}

func (k *cors) headerFilter(x *exchange, h http.Header, _ int) {
	if x.corsPreflight {
		return
	}
	allowAll := k.configureOrigin(x, h, true)
	k.configureCredentials(x, h, allowAll, true)
	if len(k.exposed) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(k.exposed, ","))
	}
}

type correlationID struct {
	header, generator string
	echo              bool
}

func buildCorrelationID(c *row, _ scope) (instance, error) {
	k := &correlationID{header: c.str("header_name"), generator: c.str("generator"), echo: c.boolean("echo_downstream", false)}
	if k.header == "" {
		k.header = "Kong-Request-ID"
	}
	if k.generator == "" {
		k.generator = "uuid#counter"
	}
	return k, nil
}

// workerUUID and workerCounter are correlation-id's per-worker state for
// the uuid#counter generator.
var (
	workerUUID    = uuid.NewString()
	workerCounter atomic.Uint64
)

func (k *correlationID) generate(x *exchange) string {
	switch k.generator {
	case "uuid":
		return uuid.NewString()
	case "tracker":
		var b [4]byte
		_, _ = rand.Read(b[:])
		return fmt.Sprintf("%s-%d-%x-%d", x.fwdHost, x.listenPort, b, x.start.UnixMilli())
	}
	return workerUUID + "#" + strconv.FormatUint(workerCounter.Add(1), 10)
}

func (k *correlationID) access(x *exchange, _ http.ResponseWriter) bool {
	id := x.req.Header.Get(k.header)
	if id == "" {
		id = k.generate(x)
		x.req.Header.Set(k.header, id)
	}
	x.correlationID = id
	return false
}

func (k *correlationID) headerFilter(x *exchange, h http.Header, _ int) {
	if !k.echo {
		return
	}
	id := x.correlationID
	if id == "" {
		id = x.req.Header.Get(k.header)
	}
	if id == "" {
		id = k.generate(x)
	}
	h.Set(k.header, id)
}
