package vecmath

import "golang.org/x/sys/cpu"

// SetVNNI switches the AVX-512 VNNI int8 kernel on or off (on only where
// the CPU has it) and returns whether it was on, so tests can run the
// AVX2 kernel too on a machine that has both.
func SetVNNI(on bool) (was bool) {
	was = useVNNI
	useVNNI = on && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI
	return was
}
