package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// TestViewReadsOneSnapshot commits a write inside a View, before and
// while it reads: every read through the View still sees the state it
// began with, and the write, not blocked by the View, is seen after it.
func TestViewReadsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0), seg("b", 0, 0, 1))
	head, err := db.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *sqlite.ReadTx) error {
		// Before the first read through tx: the snapshot is View's.
		write(t, db, seg("c", 0, 1, 0, 0), seg("a", 6, 0, 1))
		if got := tx.Head(); got != head {
			t.Errorf("Head = %+v, want %+v", got, head)
		}
		videos, err := tx.Videos(ctx)
		if err != nil {
			return err
		}
		if len(videos) != 2 || videos[0].Segments != 1 {
			t.Errorf("Videos = %+v, want a and b with one segment each", videos)
		}
		n := 0
		err = tx.Segments(ctx, sqlite.SegmentQuery{Order: sqlite.OrderVideo}, func(s *sqlite.Segment) error {
			if n == 0 {
				// While the rows stream.
				write(t, db, seg("d", 0, 1, 0))
				if _, err := tx.Video(ctx, "d"); !errors.Is(err, sqlite.ErrNotFound) {
					t.Errorf("Video(d) during Segments: err = %v, want ErrNotFound", err)
				}
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("Segments streamed %d, want 2", n)
		}
		spaces, err := tx.Spaces(ctx)
		if err != nil {
			return err
		}
		if len(spaces) != 1 || spaces[0].Segments != 2 {
			t.Errorf("Spaces = %+v, want one space of 2 segments", spaces)
		}
		c, err := tx.Stats(ctx)
		if err != nil {
			return err
		}
		if c.Videos != 2 || c.Segments != 2 || c.Generation != head.Generation {
			t.Errorf("Stats = %+v, want 2 videos, 2 segments at generation %d", c, head.Generation)
		}
		if names, err := tx.Filenames(ctx); err != nil || len(names) != 2 {
			t.Errorf("Filenames = %v, %v; want a and b", names, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := db.Stats(ctx); err != nil || c.Videos != 4 || c.Segments != 5 {
		t.Fatalf("after the View: Stats = %+v, %v; want 4 videos, 5 segments", c, err)
	}
}

func TestViewReturnsFnError(t *testing.T) {
	db := openDB(t)
	want := errors.New("stop")
	if err := db.View(context.Background(), func(*sqlite.ReadTx) error { return want }); !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}
