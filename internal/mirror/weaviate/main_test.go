package weaviate_test

import (
	"os"
	"testing"

	"github.com/clipvec/clipvec/internal/mirror/weaviate/weaviatetest"
)

// The package's tests share one three-node cluster (weaviatetest), which
// Run stops when they end.
func TestMain(m *testing.M) { os.Exit(weaviatetest.Run(m)) }

// sampleExports is the built-in sample: 36 videos, 1,284 segments.
const sampleExports = "../../../testdata/sample/exports"
