package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
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

// errorBody is kong.response.error's JSON template (kong/tools/http.lua),
// byte for byte, with the message escaped as JSON would.
func errorBody(message, requestID string) []byte {
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
	s.kongResponse(w, x, status, header, errorBody(message, x.requestID))
}

// joinHeader appends to a comma-separated header value.
func joinHeader(prev, v string) string {
	if strings.TrimSpace(prev) == "" {
		return v
	}
	return prev + ", " + v
}
