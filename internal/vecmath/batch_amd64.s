#include "textflag.h"

// Both kernels run in two passes over ids: the first prefetches `lines`
// cache lines of every row, the second scores the rows in order, so the
// loads of all rows are in flight together instead of one after another.

// func dotBatchAVX2(q, base *float32, ids *uint32, n, dim int, out *float32, lines int)
// n > 0, dim > 0, lines > 0. Each row is summed exactly as vek32.Dot's
// AVX2 kernel sums it (32 floats an iteration in four FMA accumulators,
// added ((0+1)+2)+3, halved to one lane, then a scalar FMA tail), so the
// results equal Dot's bit for bit.
TEXT ·dotBatchAVX2(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), SI
	MOVQ base+8(FP), R8
	MOVQ ids+16(FP), R9
	MOVQ n+24(FP), R10
	MOVQ dim+32(FP), R11
	MOVQ out+40(FP), R12
	MOVQ lines+48(FP), DX
	MOVQ R11, R13
	SHLQ $2, R13

	MOVQ R9, BX
	MOVQ R10, CX

fpf:
	MOVL  (BX), AX
	IMULQ R13, AX
	ADDQ  R8, AX
	MOVQ  DX, DI

fpfline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	DECQ       DI
	JNZ        fpfline
	ADDQ       $4, BX
	DECQ       CX
	JNZ        fpf

frow:
	MOVL   (R9), AX
	IMULQ  R13, AX
	LEAQ   (R8)(AX*1), DI
	MOVQ   SI, BX
	MOVQ   R11, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JL     fsum

fby32:
	VMOVUPS     (BX), Y4
	VMOVUPS     32(BX), Y5
	VMOVUPS     64(BX), Y6
	VMOVUPS     96(BX), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, BX
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         fby32

fsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

ftail:
	TESTQ       CX, CX
	JZ          fstore
	VMOVSS      (BX), X4
	VFMADD231SS (DI), X4, X0
	ADDQ        $4, BX
	ADDQ        $4, DI
	DECQ        CX
	JMP         ftail

fstore:
	VMOVSS X0, (R12)
	ADDQ   $4, R12
	ADDQ   $4, R9
	DECQ   R10
	JNZ    frow
	VZEROUPPER
	RET

// func dotInt8BatchAVX2(q, base *int8, ids *uint32, n, dim int, out *float32, lines int, scales *float32, qscale float32)
// n > 0, dim > 0, lines > 0. Sign-extends to 16-bit lanes and adds
// products in pairs into 32-bit lanes (VPMADDWD): 32 bytes an iteration
// in two accumulators, then 16, then a scalar tail; the exact int32 sum
// is converted and multiplied by qscale, then by the row's scale.
TEXT ·dotInt8BatchAVX2(SB), NOSPLIT, $0-68
	MOVQ q+0(FP), SI
	MOVQ base+8(FP), R8
	MOVQ ids+16(FP), R9
	MOVQ n+24(FP), R10
	MOVQ dim+32(FP), R11
	MOVQ out+40(FP), R12
	MOVQ lines+48(FP), DX
	MOVQ scales+56(FP), R13
	VMOVSS qscale+64(FP), X7

	MOVQ R9, BX
	MOVQ R10, CX

ipf:
	MOVL       (BX), AX
	PREFETCHT0 (R13)(AX*4)
	IMULQ      R11, AX
	ADDQ       R8, AX
	MOVQ       DX, DI

ipfline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	DECQ       DI
	JNZ        ipfline
	ADDQ       $4, BX
	DECQ       CX
	JNZ        ipf

irow:
	MOVL  (R9), AX
	IMULQ R11, AX
	LEAQ  (R8)(AX*1), DI
	MOVQ  SI, BX
	MOVQ  R11, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y5, Y5, Y5
	CMPQ  CX, $32
	JL    iby16

iby32:
	VPMOVSXBW (BX), Y1
	VPMOVSXBW (DI), Y2
	VPMADDWD  Y1, Y2, Y3
	VPADDD    Y3, Y0, Y0
	VPMOVSXBW 16(BX), Y1
	VPMOVSXBW 16(DI), Y2
	VPMADDWD  Y1, Y2, Y4
	VPADDD    Y4, Y5, Y5
	ADDQ      $32, BX
	ADDQ      $32, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JGE       iby32

iby16:
	CMPQ      CX, $16
	JL        isum
	VPMOVSXBW (BX), Y1
	VPMOVSXBW (DI), Y2
	VPMADDWD  Y1, Y2, Y3
	VPADDD    Y3, Y0, Y0
	ADDQ      $16, BX
	ADDQ      $16, DI
	SUBQ      $16, CX

isum:
	VPADDD       Y5, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX

itail:
	TESTQ   CX, CX
	JZ      istore
	MOVBLSX (BX), DX
	MOVBLSX (DI), R13
	IMULL   R13, DX
	ADDL    DX, AX
	INCQ    BX
	INCQ    DI
	DECQ    CX
	JMP     itail

istore:
	MOVL       (R9), DX
	MOVQ       scales+56(FP), R13
	VCVTSI2SSL AX, X0, X0
	VMULSS     X7, X0, X0
	VMULSS     (R13)(DX*4), X0, X0
	VMOVSS     X0, (R12)
	ADDQ       $4, R12
	ADDQ $4, R9
	DECQ R10
	JNZ  irow
	VZEROUPPER
	RET

// func dotInt8BatchAVX512(q, base *int8, ids *uint32, n, dim int, out *float32, lines int, scales *float32, qscale float32)
// As dotInt8BatchAVX2, with AVX-512 VNNI for the bulk: 64 bytes an
// iteration, sign-extended to 32 words per zmm and multiplied and added
// in pairs into 32-bit lanes by VPDPWSSD, in two accumulators; the sum is
// folded to a ymm and the AVX2 steps finish the row (a VEX instruction on
// Y0 clears Z0's upper half, so nothing zmm runs after the fold).
TEXT ·dotInt8BatchAVX512(SB), NOSPLIT, $0-68
	MOVQ   q+0(FP), SI
	MOVQ   base+8(FP), R8
	MOVQ   ids+16(FP), R9
	MOVQ   n+24(FP), R10
	MOVQ   dim+32(FP), R11
	MOVQ   out+40(FP), R12
	MOVQ   lines+48(FP), DX
	MOVQ   scales+56(FP), R13
	VMOVSS qscale+64(FP), X7

	MOVQ R9, BX
	MOVQ R10, CX

zpf:
	MOVL       (BX), AX
	PREFETCHT0 (R13)(AX*4)
	IMULQ      R11, AX
	ADDQ       R8, AX
	MOVQ       DX, DI

zpfline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	DECQ       DI
	JNZ        zpfline
	ADDQ       $4, BX
	DECQ       CX
	JNZ        zpf

zrow:
	MOVL   (R9), AX
	IMULQ  R11, AX
	LEAQ   (R8)(AX*1), DI
	MOVQ   SI, BX
	MOVQ   R11, CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	CMPQ   CX, $64
	JL     zfold

zby64:
	VPMOVSXBW (BX), Z1
	VPMOVSXBW (DI), Z2
	VPDPWSSD  Z2, Z1, Z0
	VPMOVSXBW 32(BX), Z3
	VPMOVSXBW 32(DI), Z4
	VPDPWSSD  Z4, Z3, Z5
	ADDQ      $64, BX
	ADDQ      $64, DI
	SUBQ      $64, CX
	CMPQ      CX, $64
	JGE       zby64

zfold:
	VPADDD        Z5, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VPXOR         Y5, Y5, Y5
	CMPQ          CX, $32
	JL            zby16
	VPMOVSXBW     (BX), Y1
	VPMOVSXBW     (DI), Y2
	VPMADDWD      Y1, Y2, Y3
	VPADDD        Y3, Y0, Y0
	VPMOVSXBW     16(BX), Y1
	VPMOVSXBW     16(DI), Y2
	VPMADDWD      Y1, Y2, Y4
	VPADDD        Y4, Y5, Y5
	ADDQ          $32, BX
	ADDQ          $32, DI
	SUBQ          $32, CX

zby16:
	CMPQ      CX, $16
	JL        zsum
	VPMOVSXBW (BX), Y1
	VPMOVSXBW (DI), Y2
	VPMADDWD  Y1, Y2, Y3
	VPADDD    Y3, Y0, Y0
	ADDQ      $16, BX
	ADDQ      $16, DI
	SUBQ      $16, CX

zsum:
	VPADDD       Y5, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX

ztail:
	TESTQ   CX, CX
	JZ      zstore
	MOVBLSX (BX), DX
	MOVBLSX (DI), R13
	IMULL   R13, DX
	ADDL    DX, AX
	INCQ    BX
	INCQ    DI
	DECQ    CX
	JMP     ztail

zstore:
	MOVL       (R9), DX
	MOVQ       scales+56(FP), R13
	VCVTSI2SSL AX, X0, X0
	VMULSS     X7, X0, X0
	VMULSS     (R13)(DX*4), X0, X0
	VMOVSS     X0, (R12)
	ADDQ       $4, R12
	ADDQ       $4, R9
	DECQ       R10
	JNZ        zrow
	VZEROUPPER
	RET
