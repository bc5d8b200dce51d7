package interop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
)

// datagram is one captured IKE message with its UDP endpoints; for port
// 4500 the non-ESP marker has been removed.
type datagram struct {
	src, dst netip.AddrPort
	data     []byte
}

// readIKEDatagrams reads a classic pcap file of Ethernet frames (tcpdump
// -w) and returns the IKE messages in it: UDP port 500, and UDP port 4500
// with the four zero octets of the non-ESP marker (RFC 3948). ESP-in-UDP
// and NAT keepalives are skipped.
func readIKEDatagrams(path string) ([]datagram, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, errors.New("short pcap header")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	default:
		bo = binary.BigEndian
	}
	if link := bo.Uint32(b[20:]); link != 1 {
		return nil, fmt.Errorf("link type %d, want Ethernet", link)
	}
	var out []datagram
	for off := 24; off+16 <= len(b); {
		incl := int(bo.Uint32(b[off+8:]))
		orig := int(bo.Uint32(b[off+12:]))
		off += 16
		if off+incl > len(b) {
			return nil, errors.New("truncated pcap record")
		}
		if incl != orig {
			return nil, errors.New("pcap record was cut by the snap length")
		}
		frame := b[off : off+incl]
		off += incl
		d, ok := ikeFromFrame(frame)
		if ok {
			out = append(out, d)
		}
	}
	return out, nil
}

func ikeFromFrame(f []byte) (datagram, bool) {
	if len(f) < 14 {
		return datagram{}, false
	}
	etype := binary.BigEndian.Uint16(f[12:])
	p := f[14:]
	var src, dst netip.Addr
	var udp []byte
	switch etype {
	case 0x0800:
		if len(p) < 20 || p[9] != 17 {
			return datagram{}, false
		}
		ihl := int(p[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(p[2:]))
		if ihl < 20 || tot > len(p) || ihl > tot {
			return datagram{}, false
		}
		if binary.BigEndian.Uint16(p[6:])&0x3fff != 0 {
			return datagram{}, false // IP fragment: not used by these captures
		}
		src = netip.AddrFrom4([4]byte(p[12:16]))
		dst = netip.AddrFrom4([4]byte(p[16:20]))
		udp = p[ihl:tot]
	case 0x86dd:
		if len(p) < 40 || p[6] != 17 {
			return datagram{}, false
		}
		plen := int(binary.BigEndian.Uint16(p[4:]))
		if 40+plen > len(p) {
			return datagram{}, false
		}
		src = netip.AddrFrom16([16]byte(p[8:24]))
		dst = netip.AddrFrom16([16]byte(p[24:40]))
		udp = p[40 : 40+plen]
	default:
		return datagram{}, false
	}
	if len(udp) < 8 {
		return datagram{}, false
	}
	sport := binary.BigEndian.Uint16(udp)
	dport := binary.BigEndian.Uint16(udp[2:])
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return datagram{}, false
	}
	data := udp[8:ulen]
	switch {
	case sport == 4500 || dport == 4500:
		if len(data) < 4 || binary.BigEndian.Uint32(data) != 0 {
			return datagram{}, false // ESP in UDP or keepalive
		}
		data = data[4:]
	case sport == 500 || dport == 500:
	default:
		return datagram{}, false
	}
	return datagram{
		src:  netip.AddrPortFrom(src, sport),
		dst:  netip.AddrPortFrom(dst, dport),
		data: append([]byte(nil), data...),
	}, true
}
