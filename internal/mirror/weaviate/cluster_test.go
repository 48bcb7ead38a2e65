package weaviate_test

import (
	"testing"

	"github.com/clipvec/clipvec/internal/mirror/weaviate/weaviatetest"
)

// clusterNodes stops nodes of the test binary's cluster; each comes back
// when the test ends.
type clusterNodes struct{ stop func(i int) }

func (n clusterNodes) Stop(t *testing.T, i int) { n.stop(i) }

// startCluster returns the URL of the package's cluster (started on
// first use; the test is skipped without CLIPVEC_WEAVIATE_TESTS=1).
func startCluster(t *testing.T) (string, clusterNodes) {
	t.Helper()
	url, stop := weaviatetest.Start(t)
	return url, clusterNodes{stop}
}
