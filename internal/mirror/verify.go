package mirror

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// ErrLocked is returned by Lock when another process is syncing the
// database.
var ErrLocked = errors.New("another clipvec sync is running on this database")

// ErrMismatch is wrapped by Verify's error when the target differs from
// the database.
var ErrMismatch = errors.New("the mirror differs from the database")

// Verifier is a Target whose objects can be read back.
type Verifier interface {
	Target
	// Collection names sp's collection in the target.
	Collection(sp clipvec.Space) string
	// Get returns the segments of these ids as sp's collection holds
	// them, vectors included; ids it does not hold are left out.
	Get(ctx context.Context, sp clipvec.Space, ids []int64) ([]clipvec.Segment, error)
	// Scan hands fn every object of sp's collection as a segment, vector
	// included. The *Segment may be reused between calls.
	Scan(ctx context.Context, sp clipvec.Space, fn func(*clipvec.Segment) error) error
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Sample is how many segments of each space are read back and
	// compared, picked at random (Seed); 0 compares every object of the
	// collection with the database, which also finds objects the
	// database does not hold.
	Sample int
	Seed   uint64
	// Spaces, when set, checks only these spaces.
	Spaces []clipvec.Space
}

// Mismatch is one difference between the target and the database.
type Mismatch struct {
	SegmentID int64 `json:"segment_id,omitempty"`
	// Problem says what differs: "missing from the target", "not in the
	// database", "vector[17] is 0.25, want 0.5", "video_id is "a", want
	// "b"", or a count.
	Problem string `json:"problem"`
}

// maxMismatches bounds the mismatches a SpaceReport lists.
const maxMismatches = 20

// SpaceReport is what Verify found in one space.
type SpaceReport struct {
	Space      clipvec.Space `json:"space"`
	Collection string        `json:"collection"`
	// Generation is the database's, which the target was compared with;
	// Position the one recorded for the target.
	Generation int64                  `json:"generation"`
	Position   clipvec.MirrorPosition `json:"position"`
	// Local and Remote count the space's segments and the collection's
	// objects.
	Local  int `json:"local"`
	Remote int `json:"remote"`
	// Compared counts the objects compared one by one.
	Compared int `json:"compared"`
	// Mismatches lists the first differences; MismatchCount counts them
	// all.
	Mismatches    []Mismatch `json:"mismatches,omitempty"`
	MismatchCount int        `json:"mismatch_count"`
}

func (r *SpaceReport) add(id int64, format string, args ...any) {
	r.MismatchCount++
	if len(r.Mismatches) < maxMismatches {
		r.Mismatches = append(r.Mismatches, Mismatch{SegmentID: id, Problem: fmt.Sprintf(format, args...)})
	}
}

// Verify compares target with db, space by space: counts (which needs
// every node of a cluster up), and objects one by one (a sample, or
// every one), vectors bit for bit and every property. The report is
// returned whatever it found; the error wraps ErrMismatch when anything
// differs.
func Verify(ctx context.Context, db *clipvec.DB, v Verifier, opts VerifyOptions) ([]SpaceReport, error) {
	spaces, err := SpacesToSync(ctx, db, v.Name(), opts.Spaces)
	if err != nil {
		return nil, err
	}
	var reports []SpaceReport
	bad := 0
	for i, sp := range spaces {
		r, err := verifySpace(ctx, db, v, sp, opts.Sample, opts.Seed+uint64(i))
		reports = append(reports, r)
		if err != nil {
			return reports, fmt.Errorf("verify %s in %s: %w", sp, v.Name(), err)
		}
		if r.MismatchCount > 0 {
			bad++
		}
	}
	if bad > 0 {
		return reports, fmt.Errorf("verify %s: %w in %d of %d spaces", v.Name(), ErrMismatch, bad, len(reports))
	}
	return reports, nil
}

func verifySpace(ctx context.Context, db *clipvec.DB, v Verifier, sp clipvec.Space, sample int, seed uint64) (SpaceReport, error) {
	r := SpaceReport{Space: sp}
	pos, _, err := db.MirrorPosition(ctx, v.Name(), sp)
	if err != nil {
		return r, err
	}
	r.Position = pos
	r.Collection = v.Collection(sp)
	if r.Remote, err = v.Count(ctx, sp); err != nil {
		return r, err
	}
	err = db.ReadChanges(ctx, sp, clipvec.MirrorPosition{}, func(c *clipvec.Changes) error {
		r.Space, r.Generation, r.Local = c.Space, c.Generation, c.Space.Segments
		if pos != (clipvec.MirrorPosition{Generation: c.Generation}) {
			r.add(0, "the database is at generation %d, the mirror's recorded position is %+v: sync first", c.Generation, pos)
		}
		if r.Remote != r.Local {
			r.add(0, "the collection holds %d objects, the database %d segments", r.Remote, r.Local)
		}
		if sample > 0 {
			return compareSample(ctx, c, v, sp, sample, seed, &r)
		}
		return compareAll(ctx, c, v, sp, &r)
	})
	return r, err
}

// compareSample reads back sample segments of the space, picked at
// random from the database, and compares each with its local copy.
func compareSample(ctx context.Context, c *clipvec.Changes, v Verifier, sp clipvec.Space, sample int, seed uint64, r *SpaceReport) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	// Reservoir sampling: one pass, sample copies in memory.
	var picked []clipvec.Segment
	seen := 0
	err := c.Segments(ctx, func(s *clipvec.Segment, _ int64) error {
		seen++
		slot := len(picked)
		if slot >= sample {
			if slot = rng.IntN(seen); slot >= sample {
				return nil
			}
		}
		cp := *s
		cp.Vector = slices.Clone(s.Vector)
		if slot == len(picked) {
			picked = append(picked, cp)
		} else {
			picked[slot] = cp
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]int64, len(picked))
	for i := range picked {
		ids[i] = picked[i].ID
	}
	got, err := v.Get(ctx, sp, ids)
	if err != nil {
		return err
	}
	remote := make(map[int64]*clipvec.Segment, len(got))
	for i := range got {
		remote[got[i].ID] = &got[i]
	}
	for i := range picked {
		want := &picked[i]
		r.Compared++
		g, ok := remote[want.ID]
		if !ok {
			r.add(want.ID, "missing from the target")
			continue
		}
		if p := Diff(g, want); p != "" {
			r.add(want.ID, "%s", p)
		}
	}
	return nil
}

// compareAll compares every object of the collection with the database:
// a digest per local segment in memory (ids and 64-bit hashes), one scan
// of the collection, and a second pass over the database to describe the
// first objects that differ.
func compareAll(ctx context.Context, c *clipvec.Changes, v Verifier, sp clipvec.Space, r *SpaceReport) error {
	local := make(map[int64]uint64, c.Space.Segments)
	err := c.Segments(ctx, func(s *clipvec.Segment, _ int64) error {
		local[s.ID] = digest(s)
		return nil
	})
	if err != nil {
		return err
	}
	differ := map[int64]*clipvec.Segment{}
	seen := make(map[int64]bool, len(local))
	err = v.Scan(ctx, sp, func(s *clipvec.Segment) error {
		r.Compared++
		h, ok := local[s.ID]
		switch {
		case seen[s.ID]:
			r.add(s.ID, "held twice by the target")
		case s.ID < 0:
			r.add(0, "an object not named after its segment (another database's, or written by hand)")
		case !ok:
			r.add(s.ID, "not in the database (an object the sync should have deleted)")
		case h != digest(s):
			if len(differ) < maxMismatches {
				cp := *s
				cp.Vector = slices.Clone(s.Vector)
				differ[s.ID] = &cp
			} else {
				r.add(s.ID, "differs from the database")
			}
		}
		seen[s.ID] = true
		return nil
	})
	if err != nil {
		return err
	}
	var missing []int64
	for id := range local {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for _, id := range missing {
		r.add(id, "missing from the target")
	}
	if len(differ) == 0 {
		return nil
	}
	return c.Segments(ctx, func(s *clipvec.Segment, _ int64) error {
		if g := differ[s.ID]; g != nil {
			r.add(s.ID, "%s", Diff(g, s))
		}
		return nil
	})
}

// digest hashes what a mirror must hold of s: its id, properties and
// vector bits.
func digest(s *clipvec.Segment) uint64 {
	h := fnv.New64a()
	var b []byte
	b = strconv.AppendInt(b, s.ID, 10)
	for _, f := range []string{s.VideoID, s.Model, s.Modality, s.Scope, string(s.Source.Kind), s.Source.ID} {
		b = append(b, 0)
		b = append(b, f...)
	}
	for _, f := range []float64{s.Start, s.End, s.Norm} {
		b = append(b, 0)
		b = strconv.AppendUint(b, math.Float64bits(f), 16)
	}
	b = append(b, 0)
	for _, x := range s.Vector {
		u := math.Float32bits(x)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	h.Write(b)
	return h.Sum64()
}

// Diff describes how got (read back from a target) differs from want
// (the database's segment), or returns "" when it holds it exactly:
// every property, and the vector bit for bit.
func Diff(got, want *clipvec.Segment) string {
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"video_id", got.VideoID, want.VideoID}, {"model", got.Model, want.Model},
		{"modality", got.Modality, want.Modality}, {"scope", got.Scope, want.Scope},
		{"source_kind", string(got.Source.Kind), string(want.Source.Kind)}, {"source_id", got.Source.ID, want.Source.ID},
	} {
		if f.got != f.want {
			return fmt.Sprintf("%s is %q, want %q", f.name, f.got, f.want)
		}
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"start", got.Start, want.Start}, {"end", got.End, want.End}, {"norm", got.Norm, want.Norm}} {
		if math.Float64bits(f.got) != math.Float64bits(f.want) {
			return fmt.Sprintf("%s is %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.ID != want.ID {
		return fmt.Sprintf("segment_id is %d, want %d", got.ID, want.ID)
	}
	if len(got.Vector) != len(want.Vector) {
		return fmt.Sprintf("vector has %d values, want %d", len(got.Vector), len(want.Vector))
	}
	for i := range got.Vector {
		if math.Float32bits(got.Vector[i]) != math.Float32bits(want.Vector[i]) {
			return fmt.Sprintf("vector[%d] is %v, want %v", i, got.Vector[i], want.Vector[i])
		}
	}
	return ""
}
