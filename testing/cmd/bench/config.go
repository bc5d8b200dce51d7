package main

import (
	"fmt"
	"strings"
)

// cipher is an ESP proposal under test.
type cipher struct {
	name string // as in the table
	esp  string // ipsec.conf esp=
}

var ciphers = []cipher{
	{"aes128gcm16", "aes128gcm16!"},
	{"chacha20poly1305", "chacha20poly1305!"},
	{"aes128-sha256", "aes128-sha256!"},
}

// ikeProposal is the same for every run: PSK, X25519, AES-GCM.
const ikeProposal = "aes128gcm16-prfsha256-x25519!"

const psk = "goswan-bench-0123456789abcdef"

// strongswanConf is the strongswan.conf of both gateways, for both
// implementations: the settings Debian's strongSwan 5.9.8 needs on a
// kernel without ESP (kernel-libipsec before kernel-netlink, kdf, the
// fwmark that keeps IKE and ESP-in-UDP out of table 220: see
// /work/shared/lab/README.md and testing/lab/fixups.go), thresholds that
// let many concurrent handshakes from one peer through without cookies,
// and a file log with millisecond time stamps. Our daemon reads the same
// file (kernel-libipsec in the load list selects its userspace datapath).
func strongswanConf(logPath string) string {
	return fmt.Sprintf(`# written by testing/cmd/bench
charon {
	load = random nonce openssl aes sha1 sha2 hmac gcm chapoly kdf curve25519 kernel-libipsec kernel-netlink socket-default stroke
	integrity_test = no
	cookie_threshold = 100000
	cookie_threshold_ip = 100000
	block_threshold = 100000
	filelog {
		bench {
			path = %s
			time_format = %%s
			time_add_ms = yes
			ike_name = yes
			flush_line = yes
			append = no
			default = 1
		}
	}
	plugins {
		kernel-libipsec {
			load = yes
			allow_peer_ts = yes
		}
		kernel-netlink {
			fwmark = !0x42
		}
		socket-default {
			fwmark = 0x42
		}
	}
}
starter {
	load_warning = no
}
`, logPath)
}

const ipsecConfHead = `# written by testing/cmd/bench
config setup
	uniqueids=no

conn %%default
	keyexchange=ikev2
	authby=secret
	ike=%s
	ikelifetime=24h
	lifetime=8h
	mobike=no
	dpdaction=none
`

// topology is what the tunnel protects and where iperf3 runs.
type topology struct {
	name           string // in the table
	conn           string // the ipsec.conf conn
	client, server string // the hosts iperf3 runs on
	dst            string // the server's address
	hostToHost     bool
}

var (
	// netToNet: 10.1.0.0/16 <-> 10.2.0.0/16, alice -> moon == sun -> bob;
	// the gateways forward.
	netToNet = topology{name: "net-to-net", conn: "net", client: "alice", server: "bob", dst: bobAddr}
	// hostToHost: the gateways' own addresses, moon == sun; iperf3 runs
	// on the gateways themselves, beside the daemons.
	hostToHost = topology{name: "host-to-host", conn: "host", client: "moon", server: "sun", dst: sunAddr, hostToHost: true}
)

// tunnelConf is the ipsec.conf of gateway local (moon or sun): the
// net-to-net tunnel between 10.1.0.0/16 and 10.2.0.0/16, or the
// host-to-host one between moon's and sun's addresses.
func tunnelConf(local string, c cipher, forceEncaps bool, t topology) string {
	left, right, lsub, rsub := moonAddr, sunAddr, "10.1.0.0/16", "10.2.0.0/16"
	if local == "sun" {
		left, right, lsub, rsub = sunAddr, moonAddr, rsub, lsub
	}
	var b strings.Builder
	fmt.Fprintf(&b, ipsecConfHead, ikeProposal)
	if t.hostToHost {
		fmt.Fprintf(&b, `
conn %s
	left=%s
	right=%s
	esp=%s
	auto=add
`, t.conn, left, right, c.esp)
	} else {
		fmt.Fprintf(&b, `
conn %s
	left=%s
	leftsubnet=%s
	right=%s
	rightsubnet=%s
	esp=%s
	auto=add
`, t.conn, left, lsub, right, rsub, c.esp)
	}
	if forceEncaps {
		b.WriteString("\tforceencaps=yes\n")
	}
	return b.String()
}

// handshakeConf is the ipsec.conf of gateway local with n host-to-host
// conns hs1..hsN that differ in their identities, so each is an IKE_SA
// of its own. installpolicy = no keeps policies and routes out of it: the
// handshake, the keys and the SAs in the datapath are measured.
func handshakeConf(local string, n int, auto string) string {
	left, right, lid, rid := moonAddr, sunAddr, "moon", "sun"
	if local == "sun" {
		left, right, lid, rid = sunAddr, moonAddr, "sun", "moon"
	}
	var b strings.Builder
	fmt.Fprintf(&b, ipsecConfHead, ikeProposal)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `
conn hs%d
	left=%s
	leftid=@hs%d.%s
	right=%s
	rightid=@hs%d.%s
	esp=aes128gcm16!
	installpolicy=no
	auto=%s
`, i, left, i, lid, right, i, rid, auto)
	}
	return b.String()
}

func secretsConf() string {
	return fmt.Sprintf("# written by testing/cmd/bench\n%%any : PSK \"%s\"\n", psk)
}
