package engine

import (
	"sync"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// Steps of Work: what is being done to a space's graph.
const (
	// StepBuild builds a graph from the store: the space has none saved
	// (Why says so), or Build was asked to.
	StepBuild = "build"
	// StepRebuild builds a graph anew because the one there cannot be
	// used (a snapshot of another database, unreadable, or too far
	// behind to catch up): Why says which.
	StepRebuild = "rebuild"
	// StepCatchUp inserts what was written since the graph's generation.
	StepCatchUp = "catch up"
	// StepCompact rebuilds a graph from its live nodes.
	StepCompact = "compact"
)

// Work is a change to a space's graph under way, as Options.OnWork sees
// it: one report when it begins (Done 0), about one every 1,024 nodes
// inserted, and one when it ends (Done == Total).
type Work struct {
	Space sqlite.Space
	// Step is StepBuild, StepRebuild, StepCatchUp or StepCompact.
	Step string
	// Why says what made a search or a sync change the graph ("none
	// saved", the snapshot's problem, how far behind it is); empty
	// when the caller asked for the change (Build, Compact).
	Why string
	// Done of Total nodes inserted.
	Done, Total int
}

// watch returns the progress function of one change to sp's graph: it
// hands done and total to progress and, as a Work, to Options.OnWork. It
// makes the reports of goroutines inserting in parallel, which come in any
// order, one call at a time with done always going forward (a report of
// as many as the last is dropped). Nil when there is no one to tell.
func (e *Engine) watch(sp sqlite.Space, step, why string, progress func(done, total int)) func(done, total int) {
	if progress == nil && e.onWork == nil {
		return nil
	}
	var mu sync.Mutex
	last := -1
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done <= last {
			return
		}
		last = done
		if progress != nil {
			progress(done, total)
		}
		if e.onWork != nil {
			e.onWork(Work{Space: sp, Step: step, Why: why, Done: done, Total: total})
		}
	}
}
