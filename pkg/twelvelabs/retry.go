package twelvelabs

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds how the Client retries a failed request. Retries
// happen on transport errors (including a response body cut short), 408,
// 429 and 5xx answers; never on other statuses. Requests that create an
// embedding task are retried only on 429, which the API documents as "not
// processed": a 5xx or a dropped connection may have created the task, and
// retrying would create a second one.
//
// The wait before retry n (n = 1, 2, ...) is BaseBackoff·2^(n-1), capped
// at MaxBackoff, then jittered by ±25% (and capped again). A server-given
// wait replaces it: Retry-After (seconds or an HTTP date) on any retryable
// answer, else X-Ratelimit-Reset (UTC epoch seconds) on a 429. A
// server-given wait longer than MaxRetryAfter is not waited out: the call
// returns the 429 at once (a daily quota can ask for hours).
//
// A RetryPolicy is a plain value, safe to copy and to share between
// goroutines (concurrent use included).
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt
	// (default 3; 0 disables retries, so a call makes one attempt).
	MaxRetries int
	// BaseBackoff is the wait before the first retry when the server
	// gives none (default 500ms; zero or less selects the default).
	BaseBackoff time.Duration
	// MaxBackoff caps the computed backoff (default 10s; zero or less
	// selects the default). It does not cap server-given waits.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest server-given wait the client will honour
	// before retrying (default 60s, the TwelveLabs 429 example's
	// retryAfter; zero or less selects the default).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told
// otherwise: 3 retries, 500ms base, 10s cap, server waits up to 60s. The
// numbers follow the official Python SDK (0.5s doubling, 10s cap) with one
// more retry.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseBackoff: 500 * time.Millisecond, MaxBackoff: 10 * time.Second, MaxRetryAfter: 60 * time.Second}
}

// withDefaults fills zero durations and clamps a negative retry count.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.BaseBackoff <= 0 {
		p.BaseBackoff = d.BaseBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// backoff returns the jittered wait before retry n (n ≥ 1); jitter is a
// number in [0, 1), 0.5 meaning "no jitter".
func (p RetryPolicy) backoff(n int, jitter float64) time.Duration {
	d := p.BaseBackoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	jitter = min(max(jitter, 0), 1)
	d = time.Duration(float64(d) * (0.75 + 0.5*jitter))
	return min(d, p.MaxBackoff)
}

// retryableStatus reports whether an HTTP status is worth retrying.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// serverWait returns the wait a response asks for: Retry-After (delta
// seconds or HTTP date) or, on 429, X-Ratelimit-Reset (epoch seconds).
// ok is false when the response names no usable wait.
func serverWait(status int, h http.Header, now time.Time) (d time.Duration, ok bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e9 {
			return time.Duration(secs * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if status == http.StatusTooManyRequests {
		if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
			if epoch, err := strconv.ParseInt(v, 10, 64); err == nil {
				if d := time.Unix(epoch, 0).Sub(now); d > 0 {
					return d, true
				}
			}
		}
	}
	return 0, false
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
