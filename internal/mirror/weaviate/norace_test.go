//go:build !race

package weaviate_test

// raceBuild: the tests run without -race (see race_test.go).
const raceBuild = false
