package kernel

import (
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/netdb"
)

// String prints the selector as charon's %R does: "10.1.0.0/16",
// "10.1.0.5..10.1.0.9", "192.168.0.100/32[tcp/http]", "0.0.0.0/0[udp/1701]",
// "10.2.0.0/16[icmp/8]", "fec1::/16[tcp/1000-2000]".
func (t TS) String() string {
	var b strings.Builder
	if p, ok := t.Prefix(); ok {
		b.WriteString(p.String())
	} else {
		b.WriteString(t.Start.String())
		b.WriteString("..")
		b.WriteString(t.End.String())
	}
	hasPorts := !(t.FromPort == 0 && t.ToPort == 0xffff)
	if t.Proto == 0 && !hasPorts {
		return b.String()
	}
	b.WriteByte('[')
	proto := ""
	if t.Proto != 0 {
		if proto = netdb.ProtoName(t.Proto); proto != "" {
			b.WriteString(proto)
		} else {
			b.WriteString(strconv.Itoa(int(t.Proto)))
		}
	} else {
		b.WriteByte('0')
	}
	if hasPorts {
		b.WriteByte('/')
		icmp := t.Proto == 1 || t.Proto == 58
		switch {
		case t.FromPort == t.ToPort && icmp:
			b.WriteString(icmpString(t.FromPort))
		case t.FromPort == t.ToPort:
			if name := netdb.ServiceName(t.FromPort, proto); proto != "" && name != "" {
				b.WriteString(name)
			} else {
				b.WriteString(strconv.Itoa(int(t.FromPort)))
			}
		case t.FromPort == 0xffff && t.ToPort == 0:
			b.WriteString("OPAQUE")
		case icmp:
			b.WriteString(icmpString(t.FromPort) + "-" + icmpString(t.ToPort))
		default:
			b.WriteString(strconv.Itoa(int(t.FromPort)) + "-" + strconv.Itoa(int(t.ToPort)))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// icmpString prints an ICMP type/code carried in a port as charon does.
func icmpString(port uint16) string {
	typ, code := port>>8, port&0xff
	if code != 0 {
		return strconv.Itoa(int(typ)) + "(" + strconv.Itoa(int(code)) + ")"
	}
	return strconv.Itoa(int(typ))
}

// FormatTSList joins selectors with spaces, as charon's %#R.
func FormatTSList(ts []TS) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}
