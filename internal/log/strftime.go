package log

import (
	"strconv"
	"time"
)

// strftimeMax is the size of charon's time buffer (timestr[128], with the
// terminating NUL).
const strftimeMax = 127

var (
	weekdayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames   = [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// AppendStrftime appends t formatted like glibc's strftime(3) in the C
// locale, which charon uses for filelog's time_format. Supported
// conversions: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M
// %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %% and
// glibc's flags _ - 0 ^ #, a field width and the E and O modifiers (which
// change nothing in the C locale). An unknown conversion is copied
// literally, as glibc does. Like charon's 128-byte buffer, a result longer
// than 127 bytes yields nothing (strftime returns 0 there).
func AppendStrftime(dst []byte, format string, t time.Time) []byte {
	start := len(dst)
	dst = appendStrftime(dst, format, t)
	if len(dst)-start > strftimeMax {
		return dst[:start]
	}
	return dst
}

func appendStrftime(b []byte, f string, t time.Time) []byte {
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		pct := i
		var pad byte // 0, '_', '-', '0'
		upper, swap := false, false
	flags:
		for i+1 < len(f) {
			switch f[i+1] {
			case '_', '-', '0':
				pad = f[i+1]
			case '^':
				upper = true
			case '#':
				swap = true
			default:
				break flags
			}
			i++
		}
		width := -1
		for i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '9' {
			if width < 0 {
				width = 0
			}
			if width < 1024 {
				width = width*10 + int(f[i+1]-'0')
			}
			i++
		}
		for i+1 < len(f) && (f[i+1] == 'E' || f[i+1] == 'O') {
			i++
		}
		if i+1 >= len(f) {
			// GNU extension: a '%' at the end is copied
			return append(b, f[pct:]...)
		}
		i++
		conv := f[i]
		num := func(v, digits int, defPad byte) {
			b = appendNumber(b, v, digits, width, pad, defPad)
		}
		str := func(s string, lowerOnSwap bool) {
			b = appendPadded(b, s, width, pad, upper, swap, lowerOnSwap)
		}
		sub := func(layout string) {
			if width < 0 && pad == 0 && !upper && !swap {
				b = appendStrftime(b, layout, t)
				return
			}
			str(string(appendStrftime(nil, layout, t)), false)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch conv {
		case '%':
			str("%", false)
		case 'a':
			str(weekdayNames[t.Weekday()][:3], false)
		case 'A':
			str(weekdayNames[t.Weekday()], false)
		case 'b', 'h':
			str(monthNames[t.Month()-1][:3], false)
		case 'B':
			str(monthNames[t.Month()-1], false)
		case 'c':
			sub("%a %b %e %H:%M:%S %Y")
		case 'C':
			num(floorDiv(t.Year(), 100), 2, '0')
		case 'd':
			num(t.Day(), 2, '0')
		case 'D', 'x':
			sub("%m/%d/%y")
		case 'e':
			num(t.Day(), 2, '_')
		case 'F':
			sub("%Y-%m-%d")
		case 'g':
			y, _ := t.ISOWeek()
			num(mod(y, 100), 2, '0')
		case 'G':
			y, _ := t.ISOWeek()
			num(y, 1, '0')
		case 'H':
			num(t.Hour(), 2, '0')
		case 'I':
			num(hour12, 2, '0')
		case 'j':
			num(t.YearDay(), 3, '0')
		case 'k':
			num(t.Hour(), 2, '_')
		case 'l':
			num(hour12, 2, '_')
		case 'm':
			num(int(t.Month()), 2, '0')
		case 'M':
			num(t.Minute(), 2, '0')
		case 'n':
			str("\n", false)
		case 'p':
			str(ampm(t, "AM", "PM"), true)
		case 'P':
			str(ampm(t, "am", "pm"), false)
		case 'r':
			sub("%I:%M:%S %p")
		case 'R':
			sub("%H:%M")
		case 's':
			b = appendPadded(b, strconv.FormatInt(t.Unix(), 10), width, pad, false, false, false)
		case 'S':
			num(t.Second(), 2, '0')
		case 't':
			str("\t", false)
		case 'T', 'X':
			sub("%H:%M:%S")
		case 'u':
			num((int(t.Weekday())+6)%7+1, 1, '0')
		case 'U':
			num((t.YearDay()-1+7-int(t.Weekday()))/7, 2, '0')
		case 'V':
			_, w := t.ISOWeek()
			num(w, 2, '0')
		case 'w':
			num(int(t.Weekday()), 1, '0')
		case 'W':
			num((t.YearDay()-1+7-(int(t.Weekday())+6)%7)/7, 2, '0')
		case 'y':
			num(mod(t.Year(), 100), 2, '0')
		case 'Y':
			num(t.Year(), 1, '0')
		case 'z':
			_, off := t.Zone()
			sign := "+"
			if off < 0 {
				sign, off = "-", -off
			}
			off /= 60
			// glibc pads the sign to the width, then the number too
			b = appendPadded(b, sign, width, pad, false, false, false)
			b = appendNumber(b, off/60*100+off%60, 4, width, pad, '0')
		case 'Z':
			name, _ := t.Zone()
			str(name, true)
		default:
			b = appendPadded(b, f[pct:i+1], width, pad, false, false, false)
		}
	}
	return b
}

func ampm(t time.Time, am, pm string) string {
	if t.Hour() < 12 {
		return am
	}
	return pm
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// appendNumber appends v with at least digits digits (or width, if
// larger), padded with zeros or, for the '_' pad, spaces; the '-' pad
// pads with spaces to an explicit width only.
func appendNumber(b []byte, v, digits, width int, pad, defPad byte) []byte {
	if pad == 0 {
		pad = defPad
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var tmp [24]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	n := len(s)
	if neg {
		n++
	}
	w := max(digits, width)
	if pad == '-' {
		w = width
	}
	if pad == '_' || pad == '-' {
		for ; n < w; n++ {
			b = append(b, ' ')
		}
		if neg {
			b = append(b, '-')
		}
		return append(b, s...)
	}
	if neg {
		b = append(b, '-')
	}
	for ; n < w; n++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendPadded appends a string conversion: ^ makes it upper case, #
// upper case too (lower case for %p and %Z), a width pads on the left with
// spaces (zeros with the 0 flag).
func appendPadded(b []byte, s string, width int, pad byte, upper, swap, lowerOnSwap bool) []byte {
	fill := byte(' ')
	if pad == '0' {
		fill = '0'
	}
	for n := len(s); n < width; n++ {
		b = append(b, fill)
	}
	switch {
	case swap && lowerOnSwap:
		for i := 0; i < len(s); i++ {
			b = append(b, lowerASCII(s[i]))
		}
	case upper || swap:
		for i := 0; i < len(s); i++ {
			b = append(b, upperASCII(s[i]))
		}
	default:
		b = append(b, s...)
	}
	return b
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}
