package clipvec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MinVideoPrefix is the shortest prefix of a video id ResolveVideo takes
// for the id: a shorter reference names a video only by its whole id or
// its file name, so a stray character never picks one (git asks as
// much of a commit's).
const MinVideoPrefix = 4

// ErrAmbiguousVideo: a video reference (ResolveVideo) that fits several
// videos. It is ErrInvalidQuery.
var ErrAmbiguousVideo = errors.New("ambiguous video")

// How a reference matched several videos (VideoRefError.By).
const (
	ByFilename = "file name"
	ByIDPrefix = "id prefix"
)

// maxVideoMatches is how many of an ambiguous reference's videos a
// VideoRefError lists.
const maxVideoMatches = 5

// VideoRefError says a video reference names no video (it matches
// ErrNotFound) or several (ErrAmbiguousVideo and ErrInvalidQuery).
type VideoRefError struct {
	// Ref is the reference as given.
	Ref string
	// Videos is how many videos the database holds.
	Videos int
	// Matches are, for an ambiguous reference, the first of the videos
	// it fits (by id, at most 5), Total how many it fits, and By how:
	// ByFilename or ByIDPrefix. Total is 0 when it fits none.
	Matches []VideoMatch
	Total   int
	By      string
}

// VideoMatch is a video an ambiguous reference fits.
type VideoMatch struct {
	ID       string `json:"video_id"`
	Filename string `json:"filename,omitempty"`
}

func (e *VideoRefError) Error() string {
	if e.Total == 0 {
		return fmt.Sprintf("video %q: no such video (the database has %d)", e.Ref, e.Videos)
	}
	how := "the ids of %d videos start with it"
	if e.By == ByFilename {
		how = "%d videos have that file name"
	}
	return fmt.Sprintf("video %q is ambiguous: "+how+" (%s)", e.Ref, e.Total, e.MatchList())
}

// MatchList lists an ambiguous reference's videos: "id file, id file
// and 3 more" (ids only when the reference is their file name).
func (e *VideoRefError) MatchList() string {
	var names []string
	for _, m := range e.Matches {
		if m.Filename != "" && e.By != ByFilename {
			names = append(names, m.ID+" "+m.Filename)
		} else {
			names = append(names, m.ID)
		}
	}
	more := ""
	if n := e.Total - len(e.Matches); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return strings.Join(names, ", ") + more
}

// Is makes errors.Is match ErrNotFound for a reference that names no
// video, ErrAmbiguousVideo and ErrInvalidQuery for one that names
// several.
func (e *VideoRefError) Is(target error) bool {
	if e.Total == 0 {
		return target == ErrNotFound
	}
	return target == ErrAmbiguousVideo || target == ErrInvalidQuery
}

// ResolveVideo returns the id of the video ref names: the video whose id
// is ref; else the one whose file name is ref (exactly as imported, e.g.
// "surfing-01.mp4"); else the one whose id starts with ref, when ref is
// at least MinVideoPrefix characters long. A reference that names no
// video, or several (two videos of that file name, a prefix of several
// ids), is a *VideoRefError.
//
// The rest of the library takes whole video ids only (Query.Like,
// Query.LikeVideo, Filter.Videos, RecommendQuery.Positive, Delete, ...):
// a prefix unique today may name two videos after the next import, which
// a program should not discover in production. Resolve what people type
// with ResolveVideo first, as the command line does.
func (db *DB) ResolveVideo(ctx context.Context, ref string) (string, error) {
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return "", err
	}
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return "", err
	}
	return resolveVideo(names, ref)
}

// resolveVideo is ResolveVideo over names (video id → file name).
func resolveVideo(names map[string]string, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("%w: an empty video id", ErrInvalidQuery)
	}
	if _, ok := names[ref]; ok {
		return ref, nil
	}
	var byName, byPrefix []string
	for id, name := range names {
		if name == ref {
			byName = append(byName, id)
		}
		if len(ref) >= MinVideoPrefix && strings.HasPrefix(id, ref) {
			byPrefix = append(byPrefix, id)
		}
	}
	ids, by := byName, ByFilename
	if len(ids) == 0 {
		ids, by = byPrefix, ByIDPrefix
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	e := &VideoRefError{Ref: ref, Videos: len(names), Total: len(ids)}
	if len(ids) > 1 {
		slices.Sort(ids)
		e.By = by
		for _, id := range ids[:min(len(ids), maxVideoMatches)] {
			e.Matches = append(e.Matches, VideoMatch{ID: id, Filename: names[id]})
		}
	}
	return "", e
}

// checkVideos makes sure every id in ids is a video of names: what is
// asked of a video that does not exist is a mistake, not an empty answer.
func checkVideos(names map[string]string, what string, ids ...string) error {
	for _, id := range ids {
		if _, ok := names[id]; !ok {
			return fmt.Errorf("%s: %w", what, &VideoRefError{Ref: id, Videos: len(names)})
		}
	}
	return nil
}

// FilterValueError is the error of a search whose filter names a
// modality or a scope the space searched holds no segment of: a typo
// ("vis"), or another model's modality. It matches ErrInvalidQuery.
type FilterValueError struct {
	Space Space
	// Field is FieldModality or FieldScope (a Filter's), or
	// FieldQueryModality (NeighboursQuery.Modality); Value the value
	// asked for; Have what the space holds, sorted.
	Field string
	Value string
	Have  []string
}

// FilterValueError.Field values.
const (
	FieldModality      = "modality"
	FieldScope         = "scope"
	FieldQueryModality = "query modality"
)

func (e *FilterValueError) Error() string {
	return fmt.Sprintf("%s %q: the space %s holds %s", e.Field, e.Value, e.Space, e.HaveList())
}

// HaveList is Have as words: "audio, transcription, visual", with the
// unnamed modality of v1.2 responses shown as "(unnamed)".
func (e *FilterValueError) HaveList() string {
	shown := make([]string, len(e.Have))
	for i, h := range e.Have {
		shown[i] = optionName(h)
	}
	return strings.Join(shown, ", ")
}

// Is makes errors.Is(err, ErrInvalidQuery) true.
func (e *FilterValueError) Is(target error) bool { return target == ErrInvalidQuery }

// checkFilterValues makes sure the modalities and scopes flt names are
// held by space sp (flt's scopes already canonical, asset read as video).
func (db *DB) checkFilterValues(ctx context.Context, sp Space, flt *Filter) error {
	if len(flt.Modalities) == 0 && len(flt.Scopes) == 0 {
		return nil
	}
	modalities, scopes, err := db.eng.Vocabulary(ctx, sp.row())
	if err != nil {
		return err
	}
	for _, c := range []struct {
		field      string
		want, have []string
	}{{FieldModality, flt.Modalities, modalities}, {FieldScope, flt.Scopes, scopes}} {
		for _, w := range c.want {
			if !slices.Contains(c.have, w) {
				return &FilterValueError{Space: sp, Field: c.field, Value: w, Have: c.have}
			}
		}
	}
	return nil
}

// checkQueryVideos makes sure the videos q searches like exist (its
// filter's are checkFilterVideos' business: a mirror's Resolve leaves them
// to the mirror).
func (db *DB) checkQueryVideos(ctx context.Context, gen int64, q *Query) error {
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return err
	}
	if q.Like != nil {
		if err := checkVideos(names, "search: like", q.Like.VideoID); err != nil {
			return err
		}
	}
	if q.LikeVideo != "" {
		if err := checkVideos(names, "search: like video", q.LikeVideo); err != nil {
			return err
		}
	}
	return nil
}

// checkFilterVideos makes sure the videos flt names exist.
func checkFilterVideos(names map[string]string, op string, flt *Filter) error {
	if err := checkVideos(names, op+": filter videos", flt.Videos...); err != nil {
		return err
	}
	return checkVideos(names, op+": filter exclude videos", flt.ExcludeVideos...)
}

// checkNeighbours makes sure the videos, modalities and scopes q names
// are in the database and in space sp.
func (db *DB) checkNeighbours(ctx context.Context, sp Space, q *NeighboursQuery) error {
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return err
	}
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return err
	}
	if err := checkFilterVideos(names, "neighbours", &q.Filter); err != nil {
		return err
	}
	if err := db.checkFilterValues(ctx, sp, &q.Filter); err != nil {
		return fmt.Errorf("neighbours: filter %w", err)
	}
	if q.Modality == "" {
		return nil
	}
	modalities, _, err := db.eng.Vocabulary(ctx, sp.row())
	if err != nil {
		return err
	}
	if !slices.Contains(modalities, q.Modality) {
		return fmt.Errorf("neighbours: %w", &FilterValueError{Space: sp, Field: FieldQueryModality, Value: q.Modality, Have: modalities})
	}
	return nil
}

// checkFilter makes sure the videos, modalities and scopes a prepared
// search's filter names are there.
func (db *DB) checkFilter(ctx context.Context, gen int64, p *prepared) error {
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return err
	}
	if err := checkFilterVideos(names, "search", &p.query.Filter); err != nil {
		return err
	}
	if err := db.checkFilterValues(ctx, p.space, &p.filter); err != nil {
		return fmt.Errorf("search: filter %w", err)
	}
	return nil
}
