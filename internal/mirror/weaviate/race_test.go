//go:build race

package weaviate_test

// raceBuild: the tests run with -race, so the clipvec binary a test
// builds is built with it too, from the packages already compiled so.
const raceBuild = true
