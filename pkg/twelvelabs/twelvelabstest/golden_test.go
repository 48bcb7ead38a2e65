package twelvelabstest_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"

	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// TestCatalogueGolden pins the default catalogue's ids and vector bits:
// it fails if they change with the platform (GOARCH, GOAMD64=v3's fused
// multiply-add) or with an edit of the vector model. After a deliberate
// change of the model, update the constants.
func TestCatalogueGolden(t *testing.T) {
	const (
		wantHash  = "77f82ab087777bba51ed74dd887230f847fb5edc6babd2f5e63a386268c2fe2d"
		wantIndex = "33da04baf23ef6c0888aef3d"
		wantVideo = "98a439a2da8d6d18342f3d07"
	)
	c := twelvelabstest.NewCatalogue(twelvelabstest.CatalogueConfig{Seed: 1, Indexes: 1, VideosPerIndex: 12, IndexingPerIndex: 1, Marengo27: true})
	h := sha256.New()
	var b [4]byte
	for _, ix := range c.Indexes {
		for _, v := range ix.Videos {
			for _, s := range v.Segments {
				for _, x := range s.Vector {
					binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
					h.Write(b[:])
				}
			}
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantHash {
		t.Errorf("vector hash %s, want %s", got, wantHash)
	}
	if got := c.Indexes[0].ID; got != wantIndex {
		t.Errorf("index id %s, want %s", got, wantIndex)
	}
	if got := c.Indexes[0].Videos[0].ID; got != wantVideo {
		t.Errorf("first video id %s, want %s", got, wantVideo)
	}
}
