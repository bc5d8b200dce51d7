package xfrm

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// BypassSocket exempts a socket of the given family (unix.AF_INET or
// unix.AF_INET6) from IPsec policies, as charon does for its IKE sockets:
// a per-socket XFRM policy that allows everything, inbound and outbound.
func BypassSocket(fd int, family int) error {
	level, opt := unix.SOL_IP, unix.IP_XFRM_POLICY
	switch family {
	case unix.AF_INET:
	case unix.AF_INET6:
		level, opt = unix.SOL_IPV6, unix.IPV6_XFRM_POLICY
	default:
		return fmt.Errorf("unable to set IPSEC_POLICY on socket: address family %d", family)
	}
	for _, dir := range []uint8{policyOut, policyIn} {
		if err := unix.SetsockoptString(fd, level, opt, string(bypassPolicy(family, dir))); err != nil {
			return fmt.Errorf("unable to set IPSEC_POLICY on socket: %w", err)
		}
	}
	return nil
}

// bypassPolicy is the struct xfrm_userpolicy_info of a socket bypass
// policy: an empty selector of the family, action allow.
func bypassPolicy(family int, dir uint8) []byte {
	info := userpolicyInfo{sel: selector{family: uint16(family)}, dir: dir, action: policyAllow}
	b := make([]byte, sizeofUserpolicyInfo)
	info.put(b)
	return b
}

// EnableUDPDecap makes the kernel take ESP in UDP (RFC 3948) arriving on a
// UDP socket (the daemon's NAT-T socket, port 4500) and decapsulate it,
// passing only IKE messages (non-ESP marker) to the socket.
func EnableUDPDecap(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_ENCAP, unix.UDP_ENCAP_ESPINUDP); err != nil {
		return fmt.Errorf("unable to set UDP_ENCAP: %w", err)
	}
	return nil
}
