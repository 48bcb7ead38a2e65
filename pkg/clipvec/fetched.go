package clipvec

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// Upstream conditions callers can test with errors.Is (pkg/clipvec/upstream
// returns them). An upstream 404 (an unknown task, index or asset) also
// matches ErrNotFound.
var (
	// ErrNotReady: an upstream task or asset is still processing, or
	// failed. It also matches ErrInvalidInput, like a saved response that
	// is not ready.
	ErrNotReady = ingest.ErrNotReady
	// ErrNoCredentials: the TwelveLabs API is needed (a query that is not
	// cached, a fetch) and there is no client or key.
	ErrNoCredentials = errors.New("no TwelveLabs API key")
)

// Fetched describes an upstream object whose segments are in the
// database.
type Fetched struct {
	// Kind is SourceEmbedTaskV1, SourceEmbedTaskV2 or SourceIndexedAsset.
	Kind    SourceKind `json:"kind"`
	ID      string     `json:"id"`
	IndexID string     `json:"index_id,omitempty"`
	// VideoID is the video its segments were filed under.
	VideoID string `json:"video_id"`
	// Modalities and Scopes are what was asked for (empty: everything).
	Modalities []string  `json:"modalities,omitempty"`
	Scopes     []string  `json:"scopes,omitempty"`
	Segments   int       `json:"segments"`
	FetchedAt  time.Time `json:"fetched_at"`
}

func (f Fetched) row() *sqlite.Fetch {
	return &sqlite.Fetch{Kind: string(f.Kind), ID: f.ID, IndexID: f.IndexID, VideoID: f.VideoID,
		Options: joinSorted(f.Modalities), Scopes: joinSorted(f.Scopes), Segments: f.Segments}
}

// FetchedObjects lists the upstream objects fetched into the database
// (of one index when indexID is not ""), by kind, index and id. Deleting
// a video forgets the fetches of its segments.
func (db *DB) FetchedObjects(ctx context.Context, indexID string) ([]Fetched, error) {
	recs, err := db.store.Fetches(ctx, "", indexID)
	if err != nil {
		return nil, err
	}
	out := make([]Fetched, len(recs))
	for i, r := range recs {
		out[i] = Fetched{Kind: SourceKind(r.Kind), ID: r.ID, IndexID: r.IndexID, VideoID: r.VideoID, Modalities: splitList(r.Options),
			Scopes: splitList(r.Scopes), Segments: r.Segments, FetchedAt: r.FetchedAt}
	}
	return out, nil
}

// RecordFetch records that an upstream object was fetched that brought no
// segment (a scope filter left none): in its own transaction. One that
// brought segments is recorded with them (ImportTx.RecordFetch).
func (db *DB) RecordFetch(ctx context.Context, f Fetched) error {
	return db.store.RecordFetch(ctx, f.row())
}

// joinSorted is the stored form of an option or scope list.
func joinSorted(list []string) string {
	s := slices.Clone(list)
	sort.Strings(s)
	return strings.Join(slices.Compact(s), ",")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
