//go:build !amd64

package vecmath

// SetVNNI does nothing where there is no AVX-512 kernel.
func SetVNNI(on bool) (was bool) { return false }
