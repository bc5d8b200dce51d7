package log

import (
	"fmt"
	"strconv"
)

// bytesPerLine is libstrongswan's BYTES_PER_LINE (utils/utils/memory.c).
const bytesPerLine = 16

const hexUpper = "0123456789ABCDEF"
const hexLower = "0123456789abcdef"

// Hex formats a byte string like libstrongswan's %B printf hook, which
// charon uses to log keys, nonces and raw packets at levels 3 and 4:
//
//	l.Log(log.IKE, log.Private, ctx, "Sk_ei secret %B", log.Hex(key))
//
// gives (each line then gets the logger's prefix)
//
//	Sk_ei secret => 32 bytes @ 0xc000012345
//	   0: 0A 1B 2C ...                                      .., ...
//	  16: ...
//
// %#B prints "0a:1b:2c", %+B "0a1b2c" (chunk_printf_hook). Any other verb
// prints the dump like %B. The address is the Go address of the first
// byte, "(nil)" for a nil slice (glibc's %p).
type Hex []byte

// Format implements fmt.Formatter.
func (h Hex) Format(f fmt.State, verb rune) {
	var buf [128]byte
	var b []byte
	switch {
	case f.Flag('#'):
		b = buf[:0]
		for i, c := range h {
			if i > 0 {
				b = append(b, ':')
			}
			b = append(b, hexLower[c>>4], hexLower[c&0xf])
			if len(b) > len(buf)-4 {
				f.Write(b)
				b = b[:0]
			}
		}
	case f.Flag('+'):
		b = buf[:0]
		for _, c := range h {
			b = append(b, hexLower[c>>4], hexLower[c&0xf])
			if len(b) > len(buf)-4 {
				f.Write(b)
				b = b[:0]
			}
		}
	default:
		b = AppendHexDump(buf[:0], h)
	}
	f.Write(b)
}

// AppendHexDump appends the dump of %B: "=> N bytes @ ADDR", then for
// every 16 bytes a line "\n%4d: HH HH ...  ascii" where the hex column is
// padded to full width and bytes outside 32..126 show as '.'.
func AppendHexDump(dst []byte, data []byte) []byte {
	dst = append(dst, "=> "...)
	dst = strconv.AppendUint(dst, uint64(len(data)), 10)
	dst = append(dst, " bytes @ "...)
	if data == nil {
		dst = append(dst, "(nil)"...)
	} else {
		dst = fmt.Appendf(dst, "%p", data)
	}
	for off := 0; off < len(data); off += bytesPerLine {
		line := data[off:min(off+bytesPerLine, len(data))]
		dst = append(dst, '\n')
		if off < 1000 {
			dst = append(dst, "    "[:4-digits(off)]...)
		}
		dst = strconv.AppendInt(dst, int64(off), 10)
		dst = append(dst, ": "...)
		for i, c := range line {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, hexUpper[c>>4], hexUpper[c&0xf])
		}
		for i := len(line); i < bytesPerLine; i++ {
			dst = append(dst, "   "...)
		}
		dst = append(dst, "  "...)
		for _, c := range line {
			if c > 31 && c < 127 {
				dst = append(dst, c)
			} else {
				dst = append(dst, '.')
			}
		}
	}
	return dst
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
