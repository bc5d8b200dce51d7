package log

import "strconv"

// The prefix charon's loggers print in front of every line of a message
// (bus/listeners/file_logger.c and sys_logger.c):
//
//	"%.2d[%s]%s " with thread, group (+ level), " <name|id>"

// appendThread appends t like printf's "%.2d": at least two digits.
func appendThread(b []byte, t int) []byte {
	if t < 0 {
		b = append(b, '-')
		u := -int64(t)
		if u < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, u, 10)
	}
	if t < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(t), 10)
}

// appendGroupStr appends the text between the brackets: "IKE", or "IKE2"
// with log_level. charon prints it into a 5-byte buffer, so it is cut to 4
// bytes.
func appendGroupStr(b []byte, g Group, lv Level, logLevel bool) []byte {
	start := len(b)
	b = append(b, groupNames[g]...)
	if logLevel {
		b = strconv.AppendInt(b, int64(lv), 10)
		if len(b)-start > 4 {
			b = b[:start+4]
		}
	}
	return b
}

// appendName appends the ike_name string: " <name|id>" for an IKE_SA with
// a config, " <id>" without one, nothing outside an IKE_SA. charon prints
// the unique id with %d into a 128-byte buffer, so ids above 2^31 show
// negative and the text is cut to 127 bytes.
func appendName(b []byte, ctx *Context) []byte {
	if ctx.UniqueID == 0 {
		return b
	}
	start := len(b)
	b = append(b, " <"...)
	if ctx.Name != "" {
		b = append(b, ctx.Name...)
		b = append(b, '|')
	}
	b = strconv.AppendInt(b, int64(int32(ctx.UniqueID)), 10)
	b = append(b, '>')
	if len(b)-start > 127 {
		b = b[:start+127]
	}
	return b
}

// appendPrefix appends "NN[GRP]<name> ".
func appendPrefix(b []byte, g Group, lv Level, ctx *Context, ikeName, logLevel bool) []byte {
	b = appendThread(b, ctx.Thread)
	b = append(b, '[')
	b = appendGroupStr(b, g, lv, logLevel)
	b = append(b, ']')
	if ikeName {
		b = appendName(b, ctx)
	}
	return append(b, ' ')
}

// nextLine splits msg at the first '\n' like charon's strchr loop: line is
// the text before it, rest what follows, more whether there was one.
func nextLine(msg []byte) (line, rest []byte, more bool) {
	for i, c := range msg {
		if c == '\n' {
			return msg[:i], msg[i+1:], true
		}
	}
	return msg, nil, false
}
