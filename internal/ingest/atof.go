package ingest

import (
	"encoding/binary"
	"math"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat32 parses the decimal numbers embedding APIs print (such as
// -0.060086973 or 1.5e-05) about five times faster than strconv, and
// returns ok=false for anything it cannot parse exactly: then the caller
// uses strconv.ParseFloat(s, 32).
//
// Exactness: with a mantissa below 2^53 and a power of ten up to 10^22,
// both are exact float64 values and one multiplication or division rounds
// correctly (Clinger's fast path). Narrowing that float64 to float32 could
// round a second time the wrong way only if it lies within one float64 ulp
// of a point halfway between two float32 values; those are sent to
// strconv, so the result always equals strconv.ParseFloat(s, 32).
func fastFloat32(s []byte) (float32, bool) {
	t := append(append(make([]byte, 0, len(s)+1), s...), ' ')
	f, n, ok := scanFloat32(t)
	return f, ok && n == len(s)
}

// scanFloat32 parses the number at the start of s like fastFloat32 and
// returns how many bytes it used. ok is false unless the number ends
// before s does (so a number cut by the end of a buffer is never taken
// for a shorter one) and the fast path applies.
func scanFloat32(s []byte) (f32 float32, n int, ok bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var mant uint64
	var digits int
	i, mant, digits = scanDigits(s, i, 0, 0)
	if i == start {
		return 0, 0, false
	}
	exp := 0
	if i < len(s) && s[i] == '.' {
		fs := i + 1
		i, mant, digits = scanDigits(s, fs, mant, digits)
		if i == fs {
			return 0, 0, false
		}
		exp = fs - i
	}
	if digits > 19 {
		return 0, 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es, e := i, 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if e > 1000 {
				return 0, 0, false
			}
			e = e*10 + int(s[i]-'0')
		}
		if i == es {
			return 0, 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i >= len(s) || isNumberByte(s[i]) || mant >= 1<<53 {
		return 0, 0, false
	}
	f := float64(mant)
	switch {
	case mant == 0:
	case exp >= 0 && exp <= 22:
		f *= pow10[exp]
	case exp < 0 && exp >= -22:
		f /= pow10[-exp]
	default:
		return 0, 0, false
	}
	if f != 0 {
		if f < 1e-37 || f > 1e37 {
			return 0, 0, false // subnormal or overflowing float32: let strconv decide
		}
		const half = 1 << 28 // float64 has 29 more mantissa bits than float32
		if low := math.Float64bits(f) & (1<<29 - 1); low >= half-1 && low <= half+1 {
			return 0, 0, false
		}
	}
	if neg {
		f = -f
	}
	return float32(f), i, true
}

// scanDigits accumulates the decimal digits of s from i into mant, eight
// at a time where it can (SWAR: one 64-bit load tests and converts eight
// ASCII digits), and counts them in digits (leading zeros included, so
// digits > 19 means mant may have overflowed).
func scanDigits(s []byte, i int, mant uint64, digits int) (int, uint64, int) {
	for i+8 <= len(s) {
		v := binary.LittleEndian.Uint64(s[i:])
		// Every byte is in '0'..'9' iff its high nibble is 3 and adding 6
		// does not carry into the high nibble.
		if (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) != 0x3333333333333333 {
			break
		}
		v -= 0x3030303030303030
		v = v*10 + v>>8 // byte 2k: the two-digit value of digits 2k, 2k+1
		v = ((v&0x000000FF000000FF)*(100+1000000<<32) + ((v>>16)&0x000000FF000000FF)*(1+10000<<32)) >> 32
		mant = mant*100000000 + v
		digits += 8
		i += 8
		if digits > 19 {
			return i, mant, digits
		}
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		mant = mant*10 + uint64(s[i]-'0')
		digits++
	}
	return i, mant, digits
}
