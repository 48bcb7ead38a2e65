package twelvelabstest

import (
	"context"
	"sync"
	"time"
)

// Clock tells the fake server the time: task readiness, task lists'
// 7-day window, search page expiry and rate-limit reset headers follow
// it. Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, for demos against real time.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// DefaultEpoch is where a server's default ManualClock starts.
var DefaultEpoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ManualClock is a clock that moves only when told: by Advance, or by
// Sleep, which advances it by the duration asked and returns at once.
// Give Sleep to a client (twelvelabs.WithSleep) and retries and task
// polling take no real time while the server sees time pass.
//
// A ManualClock is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	// now is the current time.
	now time.Time
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward if d < 0).
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep advances the clock by d and returns, or returns ctx.Err() without
// advancing when ctx is already done. Its signature fits
// twelvelabs.WithSleep.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}
