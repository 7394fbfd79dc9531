package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const contentTypeJSON = "application/json; charset=utf-8"

// newRequestID is nginx's $kong_request_id: 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// responseType is kong/tools/http.lua get_response_type: the media type
// of the Accept entry with the highest q (the first on ties), mapped onto
// the types Kong has error templates for; JSON by default.
func responseType(accept []string) string {
	ct, best := contentTypeJSON, 0.0
	for _, entry := range strings.Split(strings.Join(accept, ","), ",") {
		parts := strings.Split(strings.TrimSpace(entry), ";")
		media := strings.ToLower(strings.TrimSpace(parts[0]))
		if !mediaRange.MatchString(media) {
			continue
		}
		q := 1.0
		for _, p := range parts[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok && qValue.MatchString(v) {
				q, _ = strconv.ParseFloat(v, 64)
			}
		}
		if q > best {
			best, ct = q, mimeType(media)
		}
	}
	return ct
}

var (
	mediaRange = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9-!#$&^_+.]+|\*)/(?:[a-z0-9][a-z0-9-!#$&^_+.]+|\*)$`)
	qValue     = regexp.MustCompile(`^(?:1(?:\.0{0,3})?|0(?:\.\d{0,3})?)$`)
)

// mimeType is get_mime_type: "type/*" by its type, unknown types JSON.
func mimeType(media string) string {
	typ, sub, _ := strings.Cut(media, "/")
	key := media
	if sub == "*" {
		key = typ
	}
	switch key {
	case "text/html":
		return "text/html; charset=utf-8"
	case "text/plain", "text":
		return "text/plain; charset=utf-8"
	case "application/xml":
		return "application/xml; charset=utf-8"
	}
	return contentTypeJSON
}

// errorBody is kong.response.error's template for the content type
// (kong/tools/http.lua ERROR_TEMPLATES), byte for byte.
func errorBody(contentType, message, requestID string) []byte {
	switch contentType {
	case "text/html; charset=utf-8":
		return []byte("<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Error</title>\n  </head>\n" +
			"  <body>\n    <h1>Error</h1>\n    <p>" + message + ".</p>\n    <p>request_id: " + requestID + "</p>\n  </body>\n</html>\n")
	case "text/plain; charset=utf-8":
		return []byte(message + "\nrequest_id: " + requestID + "\n")
	case "application/xml; charset=utf-8":
		return []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <message>" + message +
			"</message>\n  <requestid>" + requestID + "</requestid>\n</error>\n")
	}
	m, _ := json.Marshal(message)
	return []byte("{\n  \"message\":" + string(m) + ",\n  \"request_id\":\"" + requestID + "\"\n}")
}

// kongResponse is a response Kong generates itself (an error, a plugin's
// exit): it carries Server, X-Kong-Response-Latency and X-Kong-Request-Id
// and passes the header_filter phase of the plugins collected so far.
func (s *Server) kongResponse(w http.ResponseWriter, x *exchange, status int, header http.Header, body []byte) {
	h := w.Header()
	for k, v := range x.respHeader {
		h[k] = v
	}
	for k, v := range header {
		h[k] = v
	}
	if body != nil {
		// A nil Content-Type entry means a plain body kong.response.exit
		// sends without one; Go then sends none either.
		if _, ok := h["Content-Type"]; !ok {
			h.Set("Content-Type", contentTypeJSON)
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	x.headerFilter(h, status)
	h.Set("X-Kong-Response-Latency", strconv.FormatInt(time.Since(x.start).Milliseconds(), 10))
	if h.Get("Via") != "kong/"+s.opts.Version {
		h.Set("Server", "kong/"+s.opts.Version)
	}
	h.Set("X-Kong-Request-Id", x.requestID)
	w.WriteHeader(status)
	if body != nil {
		_, _ = w.Write(body)
	}
}

// kongError is kong.response.error(status, message, headers).
func (s *Server) kongError(w http.ResponseWriter, x *exchange, status int, message string, header http.Header) {
	ct := responseType(x.req.Header.Values("Accept"))
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", ct)
	s.kongResponse(w, x, status, header, errorBody(ct, message, x.requestID))
}

// joinHeader appends to a comma-separated header value.
func joinHeader(prev, v string) string {
	if strings.TrimSpace(prev) == "" {
		return v
	}
	return prev + ", " + v
}
