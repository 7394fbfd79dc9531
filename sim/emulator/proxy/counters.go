package proxy

import (
	"sync"
	"time"
)

// counters are rate-limiting's local-policy counters, kept by the server
// across snapshots as Kong keeps them in a shared dict across router
// rebuilds: key → count within the period window that started at
// window.
type counters struct {
	mu sync.Mutex
	m  map[string]*window
}

type window struct {
	start time.Time
	n     int64
}

func newCounters() *counters { return &counters{m: map[string]*window{}} }

// add increments the counter of key for the window starting at start and
// returns the count before the increment. Counters of older windows are
// replaced.
func (c *counters) add(key string, start time.Time, by int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.m[key]
	if w == nil || !w.start.Equal(start) {
		w = &window{start: start}
		c.m[key] = w
	}
	before := w.n
	w.n += by
	return before
}

// get returns the count of key in the window starting at start.
func (c *counters) get(key string, start time.Time) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.m[key]; w != nil && w.start.Equal(start) {
		return w.n
	}
	return 0
}
