// Package userspace is goswan's userspace IPsec datapath, what strongSwan's
// kernel-libipsec plugin is for charon: ESP (RFC 4303) in Go over a TUN
// device, for hosts whose kernel has no ESP. An Engine implements
// kernel.IPsec:
//
//   - the SAD (SAs keyed by SPI and destination) with anti-replay windows
//     (64-bit ESN, RFC 4303 appendix A), usage counters and soft/hard
//     lifetimes in time, bytes and packets raising kernel.Expire;
//   - the SPD with strongSwan's policy priorities, traffic selectors with
//     protocol and ports, reference counting per selector (a rekeyed
//     CHILD_SA's policy takes over without a gap), trap policies raising
//     kernel.Acquire (rate limited per reqid) and pass/drop shunts;
//   - tunnel and transport mode, IPv4 and IPv6 inside and outside,
//     AES-GCM-8/12/16, ChaCha20-Poly1305, AES-CBC with HMAC-SHA1/SHA2 or
//     AES-XCBC/CMAC, NULL encryption with integrity;
//   - raw ESP over IPPROTO_ESP raw sockets and UDP-encapsulated ESP (RFC
//     3948) through hooks the daemon wires to its NAT-T socket, in
//     batches (Config.SendUDPBatch out, one sendmmsg per batch;
//     Engine.HandleUDPESPBatch in, one recvmmsg's worth, copied once into
//     the engine's buffers and processed in the socket's reading
//     goroutine in inline mode) or per packet (Config.SendUDP,
//     Engine.HandleUDPESP);
//   - a TUN device ("ipsec0") whose outbound packets are matched against
//     the SPD, encrypted and sent, and into which decrypted packets that
//     match the SA's inbound policy are written; oversized packets get an
//     ICMP "fragmentation needed"/"packet too big" back;
//   - routes in table 220 ("REMOTE_TS dev ipsec0 src LOCAL_IP") for
//     outbound policies, as kernel-libipsec installs them, and optionally
//     the "not fwmark lookup 220" rule.
//
// The datapath follows wireguard-go: packets are read in batches (TUN with
// GSO/GRO offloads, recvmmsg on the raw sockets), a batch is queued both to
// a pool of crypto workers and to an ordered queue, and one goroutine per
// direction delivers batches in the order they were read (sendmmsg, batched
// TUN writes). With two cores or fewer (or Config.Inline) the reading
// goroutines encrypt or decrypt and deliver their batches themselves: the
// hand-offs between goroutines cost more there than parallel crypto gains
// (1.4 vs 0.9 Gbit/s net-to-net on 2 cores, see testing/cmd/bench).
// Buffers come from fixed free lists; the hot path allocates
// nothing, except with AES-GCM-8 and AES-XCBC/CMAC, whose primitives in
// internal/ike/crypto allocate.
//
// # Wiring
//
// The daemon creates the engine in the network namespace it serves and
// connects it to its NAT-T socket (closures, as each needs the other):
//
//	var sock *socket.Socket
//	eng, _ := userspace.New(userspace.Config{
//		FwMark:       mark, // the IKE sockets' SO_MARK (socket-default.fwmark)
//		SendUDPBatch: func(src, dst []netip.AddrPort, pkts [][]byte) (int, error) {
//			return sock.SendESPBatch(src, dst, pkts)
//		},
//		Router: net, // the kernel.Net backend; it owns the fwmark rule
//		Log:    logger,
//	})
//	sock, _ = socket.Open(socket.Config{..., Mark: mark, RecvESPBatch: eng.HandleUDPESPBatch})
//
// Virtual IPs go on eng.Name() (kernel-libipsec forces
// install_virtual_ip_on to its TUN device); the routing rule "not fwmark
// MARK lookup 220" must exist (Config.InstallRule if no kernel.Net backend
// installs it), so that IKE and ESP packets, which carry the mark, bypass
// the routes to the TUN device.
//
// Not supported: AH, BEET mode, IPComp, TFC padding, marks and interface
// IDs as match criteria (every packet read from the TUN device is
// unmarked), exclude routes for peers inside a remote selector (the
// fwmark rule makes them unneeded), IPv4 fragments in transport mode
// (dropped), and shunt policies for traffic that no route brings to the
// TUN device.
//
// The package imports the standard library, golang.org/x/sys,
// golang.zx2c4.com/wireguard/tun, github.com/vishvananda/netlink,
// internal/kernel, internal/clock, internal/log and the crypto primitives of
// internal/ike/crypto. It must import nothing else of internal/ike and never
// internal/daemon: the daemon wires it, not the other way round.
package userspace
