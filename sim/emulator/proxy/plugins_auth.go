package proxy

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
)

func init() {
	executed["key-auth"] = pluginKind{priority: 1250, build: buildKeyAuth}
	executed["basic-auth"] = pluginKind{priority: 1100, build: buildBasicAuth}
	executed["acl"] = pluginKind{priority: 950, build: buildACL}
}

// authenticate is kong.client.authenticate plus the auth plugins'
// set_consumer: the consumer headers sent upstream.
func (x *exchange) authenticate(c *consumer, credID, credIdentifier string) {
	x.consumer, x.credential = c, credID
	h := x.req.Header
	setOrDel := func(name, v string) {
		if v != "" {
			h.Set(name, v)
		} else {
			h.Del(name)
		}
	}
	if c != nil {
		setOrDel("X-Consumer-Id", c.id)
		setOrDel("X-Consumer-Custom-Id", c.customID)
		setOrDel("X-Consumer-Username", c.username)
	}
	setOrDel("X-Credential-Identifier", credIdentifier)
	if credID != "" {
		h.Del("X-Anonymous-Consumer")
	} else {
		h.Set("X-Anonymous-Consumer", "true")
	}
}

// anonymous resolves an auth plugin's anonymous setting (a consumer id or
// username), or answers 500 as Kong does when it names no consumer.
func (x *exchange) anonymous(w http.ResponseWriter, name string) bool {
	c := x.sn.auth.consumers[name]
	if c == nil {
		c = x.sn.auth.byName[name]
	}
	if c == nil {
		x.s.kongError(w, x, http.StatusInternalServerError, "An unexpected error occurred", nil)
		return true
	}
	x.authenticate(c, "", "")
	return false
}

type keyAuth struct {
	keyNames                           []string
	hide, inHeader, inQuery, preflight bool
	anonymous, realm                   string
}

func buildKeyAuth(c *row, _ scope) (instance, error) {
	k := &keyAuth{keyNames: c.strs("key_names"), hide: c.boolean("hide_credentials", false),
		inHeader: c.boolean("key_in_header", true), inQuery: c.boolean("key_in_query", true),
		preflight: c.boolean("run_on_preflight", true), anonymous: c.str("anonymous"), realm: c.str("realm")}
	if !c.has("key_names") {
		k.keyNames = []string{"apikey"}
	}
	return k, nil
}

func (k *keyAuth) access(x *exchange, w http.ResponseWriter) bool {
	if !k.preflight && x.req.Method == http.MethodOptions {
		return false
	}
	if k.anonymous != "" && x.credential != "" {
		return false
	}
	status, msg := k.authenticate(x)
	if status == 0 {
		return false
	}
	if k.anonymous != "" {
		return x.anonymous(w, k.anonymous)
	}
	www := "Key"
	if k.realm != "" {
		www = `Key realm="` + k.realm + `"`
	}
	x.s.kongError(w, x, status, msg, http.Header{"Www-Authenticate": {www}})
	return true
}

func (k *keyAuth) authenticate(x *exchange) (int, string) {
	r := x.req
	var key string
	query := r.URL.Query()
	for _, name := range k.keyNames {
		var vals []string
		if k.inHeader {
			vals = r.Header.Values(name)
		}
		if len(vals) == 0 && k.inQuery {
			vals = query[name]
		}
		if len(vals) > 1 {
			return http.StatusUnauthorized, "Duplicate API key found"
		}
		if len(vals) == 1 {
			key = vals[0]
			if k.hide {
				r.Header.Del(name)
				if _, ok := query[name]; ok {
					query.Del(name)
					x.rewriteQuery(query.Encode())
				}
			}
			break
		}
	}
	if key == "" {
		return http.StatusUnauthorized, "No API key found in request"
	}
	cred, ok := x.sn.auth.keys[key]
	if !ok {
		return http.StatusUnauthorized, "Unauthorized"
	}
	x.authenticate(cred.consumer, cred.id, cred.id)
	return 0, ""
}

// rewriteQuery replaces the query sent upstream (hide_credentials).
func (x *exchange) rewriteQuery(q string) {
	uri := x.req.RequestURI
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if q != "" {
		uri += "?" + q
	}
	x.req.RequestURI = uri
}

type basicAuth struct {
	hide             bool
	anonymous, realm string
}

func buildBasicAuth(c *row, _ scope) (instance, error) {
	b := &basicAuth{hide: c.boolean("hide_credentials", false), anonymous: c.str("anonymous"), realm: c.str("realm")}
	if !c.has("realm") {
		b.realm = "service"
	}
	return b, nil
}

var basicRe = regexp.MustCompile(`^\s*[Bb]asic\s*(.+)`)

func (b *basicAuth) credentials(x *exchange, header string) (string, string, bool) {
	v := x.req.Header.Get(header)
	if b.hide {
		x.req.Header.Del(header)
	}
	m := basicRe.FindStringSubmatch(v)
	if m == nil {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		return "", "", false
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	return user, pass, ok && user != ""
}

func (b *basicAuth) access(x *exchange, w http.ResponseWriter) bool {
	if b.anonymous != "" && x.credential != "" {
		return false
	}
	if b.authenticate(x) {
		return false
	}
	if b.anonymous != "" {
		return x.anonymous(w, b.anonymous)
	}
	x.s.kongError(w, x, http.StatusUnauthorized, "Unauthorized",
		http.Header{"Www-Authenticate": {`Basic realm="` + b.realm + `"`}})
	return true
}

func (b *basicAuth) authenticate(x *exchange) bool {
	h := x.req.Header
	if h.Get("Authorization") == "" && h.Get("Proxy-Authorization") == "" {
		return false
	}
	var cred basicCred
	found := false
	user, pass, ok := b.credentials(x, "Proxy-Authorization")
	if ok {
		cred, found = x.sn.auth.basic[user]
	}
	if !found {
		if user, pass, ok = b.credentials(x, "Authorization"); !ok {
			return false
		}
		cred, found = x.sn.auth.basic[user]
	}
	if !found || cred.password != basicHash(pass, cred.consumer.id) {
		return false
	}
	x.authenticate(cred.consumer, cred.id, user)
	return true
}

// basicHash is basic-auth's crypto.hash: hex sha1(password .. consumer id),
// the form Kong stores.
func basicHash(password, consumerID string) string {
	s := sha1.Sum([]byte(password + consumerID))
	return hex.EncodeToString(s[:])
}

type acl struct {
	deny       bool
	groups     []string
	hideHeader bool
}

func buildACL(c *row, _ scope) (instance, error) {
	a := &acl{groups: c.strs("allow"), hideHeader: c.boolean("hide_groups_header", false)}
	if deny := c.strs("deny"); len(deny) > 0 {
		a.deny, a.groups = true, deny
	}
	return a, nil
}

func (a *acl) access(x *exchange, w http.ResponseWriter) bool {
	if x.consumer == nil {
		if x.credential != "" {
			x.s.kongError(w, x, http.StatusForbidden, "You cannot consume this service", nil)
		} else {
			x.s.kongError(w, x, http.StatusUnauthorized, "Unauthorized", nil)
		}
		return true
	}
	groups := x.consumer.groups
	if len(groups) == 0 && !a.deny {
		if x.credential != "" {
			x.s.kongError(w, x, http.StatusForbidden, "You cannot consume this service", nil)
		} else {
			x.s.kongError(w, x, http.StatusUnauthorized, "Unauthorized", nil)
		}
		return true
	}
	in := false
	for _, g := range groups {
		if contains(a.groups, g) {
			in = true
			break
		}
	}
	if in == a.deny {
		x.s.kongError(w, x, http.StatusForbidden, "You cannot consume this service", nil)
		return true
	}
	if !a.hideHeader && len(groups) > 0 {
		x.req.Header.Set("X-Consumer-Groups", strings.Join(groups, ", "))
	}
	return false
}
