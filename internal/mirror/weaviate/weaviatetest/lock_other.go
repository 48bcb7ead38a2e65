//go:build !unix

package weaviatetest

// lockPorts does nothing where advisory locks are not available: the
// ports are then only checked free before the cluster starts.
func lockPorts(string) (unlock func(), err error) { return func() {}, nil }
