package sqlite

import "sync"

// GenCache is a value read from the store, kept while the store's
// generation stays where it was read: what every search needs (the
// spaces, the graph parameters, the file names) is then read once per
// write, not once per search. It is safe for concurrent use.
type GenCache[T any] struct {
	mu  sync.Mutex
	gen int64
	ok  bool
	v   T
}

// Get returns the value for generation gen, reading it with load when the
// kept one is from another generation. A write may commit between reading
// gen and load; the value is then newer than gen, and keeping it under
// gen is still safe: the next caller sees the newer generation and loads
// again.
func (c *GenCache[T]) Get(gen int64, load func() (T, error)) (T, error) {
	c.mu.Lock()
	if c.ok && c.gen == gen {
		v := c.v
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	c.v, c.gen, c.ok = v, gen, true
	c.mu.Unlock()
	return v, nil
}
