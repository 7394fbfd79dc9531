package admin

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Bounds of the wait on an Admin API that answers 429 Too Many Requests: production control
// planes often sit behind a rate limit, and a sync that took 429 as final would fail entities
// Kong never looked at. The bounds keep a limit that never lifts from hanging a sync.
const (
	// MaxRateLimitRetries is how many times one request is sent again after a 429.
	MaxRateLimitRetries = 5
	// MaxRetryAfter caps one wait, whatever Retry-After asks for.
	MaxRetryAfter = 30 * time.Second
	// firstRateLimitWait is the wait when Kong sends no Retry-After; it doubles each time.
	firstRateLimitWait = time.Second
)

// rateLimitTransport sends a request again when the answer is 429, after the wait the answer's
// Retry-After asks for (seconds or an HTTP date; capped at MaxRetryAfter), else after an
// exponential backoff. A 429 means the request was refused before Kong handled it, so
// sending it again is safe for every method. timeout bounds each attempt, including the
// reading of its body, instead of the whole exchange: http.Client.Timeout would count the
// waits too, and a Retry-After near the timeout could never be honoured.
type rateLimitTransport struct {
	next    http.RoundTripper
	timeout time.Duration
	// sleep waits d unless ctx ends first; tests record the waits instead of sleeping.
	sleep func(ctx context.Context, d time.Duration) error
}

func (t *rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	wait := firstRateLimitWait
	for retry := 0; ; retry++ {
		attempt := req
		if retry > 0 {
			attempt = req.Clone(req.Context())
			if req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				attempt.Body = body
			}
		}
		ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
		resp, err := t.next.RoundTrip(attempt.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
		if resp.StatusCode != http.StatusTooManyRequests || retry >= MaxRateLimitRetries || !replayable {
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok {
			d, wait = wait, wait*2
		}
		d = min(d, MaxRetryAfter)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		cancel()
		if err := t.sleep(req.Context(), d); err != nil {
			return nil, err
		}
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cancelOnClose ends an attempt's context once its body is read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
