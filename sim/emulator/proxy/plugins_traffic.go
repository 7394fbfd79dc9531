package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

func init() {
	executed["rate-limiting"] = pluginKind{priority: 910, build: buildRateLimiting}
	executed["request-termination"] = pluginKind{priority: 2, build: buildRequestTermination}
	executed["redirect"] = pluginKind{priority: 779, build: buildRedirect}
}

// periods are rate-limiting's periods with their window lengths in
// seconds (rate-limiting/expiration.lua), in the order headers are built.
var periods = []struct {
	name   string
	window int64
	header string
}{
	{"second", 1, "Second"}, {"minute", 60, "Minute"}, {"hour", 3600, "Hour"},
	{"day", 86400, "Day"}, {"month", 2592000, "Month"}, {"year", 31536000, "Year"},
}

type rateLimiting struct {
	limits     [6]int64 // by periods index; 0: unset
	limitBy    string
	headerName string
	path       string
	hide       bool
	errorCode  int
	errorMsg   string
	scope      scope
	policy     string
}

func buildRateLimiting(c *row, sc scope) (instance, error) {
	rl := &rateLimiting{limitBy: c.str("limit_by"), headerName: c.str("header_name"), path: c.str("path"),
		hide: c.boolean("hide_client_headers", false), errorCode: c.integer("error_code", 429),
		errorMsg: c.str("error_message"), scope: sc, policy: c.str("policy")}
	if rl.limitBy == "" {
		rl.limitBy = "consumer"
	}
	if !c.has("error_message") {
		rl.errorMsg = "API rate limit exceeded"
	}
	for i, p := range periods {
		rl.limits[i] = int64(c.num(p.name, 0))
	}
	return rl, nil
}

// approximation: cluster and redis counters live in a database table or a
// Redis the emulator does not share, so every policy counts locally, per
// node.
func (rl *rateLimiting) approximation() string {
	if rl.policy == "" || rl.policy == "local" {
		return ""
	}
	return "rate-limiting policy " + rl.policy + " counted locally per node"
}

func (rl *rateLimiting) identifier(x *exchange) string {
	var id string
	switch rl.limitBy {
	case "service":
		if x.service != nil {
			id = x.service.id
		}
	case "consumer":
		if x.consumer != nil {
			id = x.consumer.id
		} else {
			id = x.credential
		}
	case "credential":
		id = x.credential
	case "header":
		id = x.req.Header.Get(rl.headerName)
	case "path":
		if x.reqPath == rl.path {
			id = x.reqPath
		}
	}
	if id == "" {
		id = remoteIP(x.req.RemoteAddr)
	}
	return id
}

// periodStart is timestamp.lua get_timestamps: the UTC start of the
// current second, minute, hour, day, month or year.
func periodStart(now time.Time, period string) time.Time {
	t := now.UTC()
	switch period {
	case "second":
		return t.Truncate(time.Second)
	case "minute":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	case "hour":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, time.UTC)
	case "day":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
}

// access is rate-limiting's handler with the local policy: usage per
// period, the most restrictive period in RateLimit-*, every period in
// X-RateLimit-*-<Period>, 429 (error_code) once a period is used up; a
// rejected request is not counted.
func (rl *rateLimiting) access(x *exchange, w http.ResponseWriter) bool {
	now := x.s.opts.Now()
	id := rl.identifier(x)
	keyBase := "ratelimit:" + rl.scope.route + ":" + rl.scope.service + ":" + id + ":"
	type use struct{ limit, remaining int64 }
	var usage [6]*use
	stop := -1
	for i, p := range periods {
		if rl.limits[i] <= 0 {
			continue
		}
		cur := x.s.limits.get(keyBase+p.name, periodStart(now, p.name))
		usage[i] = &use{limit: rl.limits[i], remaining: rl.limits[i] - cur}
		if usage[i].remaining <= 0 {
			stop = i
		}
	}
	var reset int64
	if !rl.hide {
		limit, remaining, window := int64(-1), int64(0), int64(0)
		for i, u := range usage {
			if u == nil {
				continue
			}
			r := u.remaining
			if stop < 0 || stop == i {
				r--
			}
			r = max(0, r)
			if limit < 0 || r < remaining || r == remaining && periods[i].window > window {
				limit, remaining, window = u.limit, r, periods[i].window
				elapsed := now.Sub(periodStart(now, periods[i].name)).Milliseconds() / 1000
				reset = max(1, window-elapsed)
			}
			x.setResponseHeader("X-RateLimit-Limit-"+periods[i].header, strconv.FormatInt(u.limit, 10))
			x.setResponseHeader("X-RateLimit-Remaining-"+periods[i].header, strconv.FormatInt(r, 10))
		}
		if limit >= 0 {
			x.setResponseHeader("RateLimit-Limit", strconv.FormatInt(limit, 10))
			x.setResponseHeader("RateLimit-Remaining", strconv.FormatInt(remaining, 10))
			x.setResponseHeader("RateLimit-Reset", strconv.FormatInt(reset, 10))
		}
	}
	if stop >= 0 {
		if !rl.hide {
			x.setResponseHeader("Retry-After", strconv.FormatInt(reset, 10))
		}
		x.s.kongError(w, x, rl.errorCode, rl.errorMsg, nil)
		return true
	}
	for i, p := range periods {
		if rl.limits[i] > 0 {
			x.s.limits.add(keyBase+p.name, periodStart(now, p.name), 1)
		}
	}
	return false
}

// setResponseHeader is kong.response.set_header in the access phase.
func (x *exchange) setResponseHeader(name, v string) {
	if x.respHeader == nil {
		x.respHeader = http.Header{}
	}
	x.respHeader.Set(name, v)
}

// defaultMessages are request-termination's DEFAULT_RESPONSE.
var defaultMessages = map[int]string{401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
	500: "An unexpected error occurred", 502: "Bad Gateway", 503: "Service unavailable"}

type requestTermination struct {
	status               int
	message, body, ctype string
	hasMessage, hasBody  bool
	trigger              string
	echo                 bool
}

func buildRequestTermination(c *row, _ scope) (instance, error) {
	return &requestTermination{status: c.integer("status_code", 503), message: c.str("message"),
		hasMessage: c.has("message"), body: c.str("body"), hasBody: c.has("body"),
		ctype: c.str("content_type"), trigger: c.str("trigger"), echo: c.boolean("echo", false)}, nil
}

func (t *requestTermination) access(x *exchange, w http.ResponseWriter) bool {
	r := x.req
	if t.trigger != "" && r.Header.Get(t.trigger) == "" && !r.URL.Query().Has(t.trigger) {
		return false
	}
	msg := t.message
	if !t.hasMessage {
		msg = defaultMessages[t.status]
	}
	switch {
	case t.echo:
		body := map[string]any{
			"message": msg,
			"request": map[string]any{
				"scheme": x.scheme, "host": x.fwdHost, "port": x.listenPort, "method": r.Method,
				"path": x.reqPath, "headers": lowerHeaders(r.Header), "query": r.URL.Query(),
			},
			"matched_route": map[string]any{"id": x.route.id, "name": x.route.name},
		}
		if x.service != nil {
			body["matched_service"] = map[string]any{"id": x.service.id, "name": x.service.name}
		}
		b, _ := json.Marshal(body)
		x.s.kongResponse(w, x, t.status, nil, b)
	case t.hasBody:
		h := http.Header{"Content-Type": nil}
		if t.ctype != "" {
			h.Set("Content-Type", t.ctype)
		}
		x.s.kongResponse(w, x, t.status, h, []byte(t.body))
	case msg != "":
		b, _ := json.Marshal(map[string]string{"message": msg})
		x.s.kongResponse(w, x, t.status, nil, b)
	default:
		x.s.kongResponse(w, x, t.status, nil, nil)
	}
	return true
}

func lowerHeaders(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for k, v := range h {
		if len(v) == 1 {
			out[toLower(k)] = v[0]
		} else {
			out[toLower(k)] = v
		}
	}
	return out
}

type redirect struct {
	status   int
	location string
	keepPath bool
}

func buildRedirect(c *row, _ scope) (instance, error) {
	return &redirect{status: c.integer("status_code", 301), location: c.str("location"),
		keepPath: c.boolean("keep_incoming_path", false)}, nil
}

func (rd *redirect) access(x *exchange, w http.ResponseWriter) bool {
	loc := rd.location
	if rd.keepPath {
		if u, err := parseURL(loc); err == nil {
			u.Path, u.RawPath, u.RawQuery, u.ForceQuery = x.reqPath, "", x.req.URL.RawQuery, false
			loc = u.String()
		}
	}
	x.s.kongResponse(w, x, rd.status, http.Header{"Location": {loc}, "Content-Type": nil}, []byte("redirecting"))
	return true
}
