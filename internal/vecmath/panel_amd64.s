#include "textflag.h"

// func dotPanelAVX2(q0, q1, q2, q3, a, b *float32, dim int, out *float32)
// out[0..3] = a·q0..q3, out[4..7] = b·q0..q3; dim is a positive multiple
// of 8. Each step loads 8 floats of the two rows and of the four queries
// once and makes 8 FMAs into 8 accumulators: 6 loads for 8 FMAs, where
// scoring one row against one query loads 2 for each.
TEXT ·dotPanelAVX2(SB), NOSPLIT, $0-64
	MOVQ q0+0(FP), SI
	MOVQ q1+8(FP), R10
	MOVQ q2+16(FP), R11
	MOVQ q3+24(FP), R12
	MOVQ a+32(FP), DI
	MOVQ b+40(FP), DX
	MOVQ dim+48(FP), CX
	MOVQ out+56(FP), R9
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop:
	VMOVUPS     (DI)(AX*1), Y8
	VMOVUPS     (DX)(AX*1), Y9
	VMOVUPS     (SI)(AX*1), Y10
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y10, Y9, Y4
	VMOVUPS     (R10)(AX*1), Y11
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y11, Y9, Y5
	VMOVUPS     (R11)(AX*1), Y12
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y12, Y9, Y6
	VMOVUPS     (R12)(AX*1), Y13
	VFMADD231PS Y13, Y8, Y3
	VFMADD231PS Y13, Y9, Y7
	ADDQ        $32, AX
	CMPQ        AX, CX
	JLT         loop

	// Four horizontal sums at once: pairwise adds leave, in each
	// 128-bit half, the four accumulators' partial sums in order; the
	// two halves added are the sums.
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X8
	VADDPS       X8, X0, X0
	VMOVUPS      X0, (R9)
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X9
	VADDPS       X9, X4, X4
	VMOVUPS      X4, 16(R9)
	VZEROUPPER
	RET
