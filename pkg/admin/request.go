package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kong/go-kong/kong"
)

// Error is a non-2xx answer of the Admin API with Kong's own body, which reports show as is
// (Kong's message names the field and the rule).
type Error struct {
	Method, Path string
	Status       int
	// Body is Kong's error body, trimmed.
	Body string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Message is Kong's "message" field, or the body when it has none.
func (e *Error) Message() string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(e.Body), &m) == nil && m.Message != "" {
		return m.Message
	}
	return e.Body
}

// IsStatus reports whether err is an Admin API answer with the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Do sends one request through c and decodes a 2xx body into out (when not nil). Any other
// status is an *Error carrying Kong's body; transport failures are returned as they are, so
// callers can tell them apart and fail over.
func Do(ctx context.Context, c *kong.Client, method, path string, query any, body, out any) error {
	req, err := c.NewRequest(method, path, query, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	resp, err := c.DoRAW(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(raw))}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// ExplainServerError adds the likely cause to a 5xx answer of a database-backed node: Kong
// answers "An unexpected error occurred" when it cannot reach PostgreSQL, so the node's /status
// is asked whether its database is reachable. Any other error is returned as it is.
func ExplainServerError(ctx context.Context, c *kong.Client, err error) error {
	var ours *Error
	var theirs *kong.APIError
	switch {
	case errors.As(err, &ours) && ours.Status >= 500:
	case errors.As(err, &theirs) && theirs.Code() >= 500:
	default:
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, serr := c.Status(ctx)
	if serr != nil || st.Database.Reachable {
		return err
	}
	return fmt.Errorf("%w (the node cannot reach its database: its /status says database.reachable is false)", err)
}
