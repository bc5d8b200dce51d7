package lab

import (
	"os"
	"regexp"
	"strings"
)

// Adjustments for Debian's strongSwan 5.9.8 on a kernel without ESP. They
// are applied to a host's configuration only when the host runs strongSwan
// (Config.RunsStrongSwan); a host running our own daemon gets the files
// unmodified.
//
//  1. kernel-libipsec (userspace ESP over the TUN device ipsec0) is put
//     before kernel-netlink in charon's load list: the first kernel-ipsec
//     backend registered wins.
//  2. kdf is added to those load lists: 5.9.8's openssl plugin cannot do
//     KDF_PRF with OpenSSL 3, and IKE_SA_INIT fails without it.
//  3. integrity_test = yes becomes no: Debian ships no libchecksum.so and
//     charon refuses to start.
//  4. strongswan.conf.testing gets socket-default fwmark 0x42, kernel-netlink
//     fwmark !0x42 and kernel-libipsec allow_peer_ts: IKE and ESP-in-UDP
//     packets bypass routing table 220, so a remote traffic selector that
//     contains the peer (roadwarriors, host-to-host) does not route the IKE
//     traffic itself into the tunnel.
//
// The fifth adjustment lives in the iptables-restore shim (shim.go): the
// DROP-policy rule sets of the scenarios get ACCEPT rules for ipsec+, since
// libipsec's decrypted traffic enters and leaves through the TUN device and
// never matches the "-m policy --pol ipsec" rules of the updown script.

// SystemFacts are the properties of the installed strongSwan the
// adjustments depend on.
type SystemFacts struct {
	HasKDFPlugin bool // libstrongswan-kdf.so exists
	HasChecksum  bool // libchecksum.so exists (integrity test possible)
}

// DetectSystem looks at the installed strongSwan.
func DetectSystem() SystemFacts {
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	return SystemFacts{
		HasKDFPlugin: exists("/usr/lib/ipsec/plugins/libstrongswan-kdf.so"),
		HasChecksum:  exists("/usr/lib/ipsec/libchecksum.so"),
	}
}

var (
	loadLineRE      = regexp.MustCompile(`^(\s*load\s*=\s*)(.*)$`)
	integrityTestRE = regexp.MustCompile(`^(\s*integrity_test\s*=\s*)yes\b`)
)

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

// FixStrongswanConf applies adjustments 1-3 to the text of a strongswan.conf.
func FixStrongswanConf(text string, sys SystemFacts) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if m := loadLineRE.FindStringSubmatch(l); m != nil && hasWord(m[2], "kernel-netlink") {
			list := m[2]
			if !hasWord(list, "kernel-libipsec") {
				f := strings.Fields(list)
				var nf []string
				for _, p := range f {
					if p == "kernel-netlink" {
						nf = append(nf, "kernel-libipsec")
					}
					nf = append(nf, p)
				}
				list = strings.Join(nf, " ")
			}
			if sys.HasKDFPlugin && !hasWord(list, "kdf") {
				list = "kdf " + list
			}
			lines[i] = m[1] + list
			continue
		}
		if !sys.HasChecksum {
			if m := integrityTestRE.FindStringSubmatch(l); m != nil {
				lines[i] = m[1] + "no" + l[len(m[0]):]
			}
		}
	}
	return strings.Join(lines, "\n")
}

// testingConfAdditions is adjustment 4, for charon and charon-systemd.
const testingConfAdditions = `# --- added by the lab (testing/lab/fixups.go) for strongSwan with
# --- kernel-libipsec: IKE and ESP-in-UDP sockets carry fwmark 0x42 and so
# --- bypass routing table 220 whose routes point into the TUN device.
charon {
  plugins {
    kernel-netlink {
      fwmark = !0x42
    }
    socket-default {
      fwmark = 0x42
    }
    kernel-libipsec {
      allow_peer_ts = yes
    }
  }
}
charon-systemd {
  plugins {
    kernel-netlink {
      fwmark = !0x42
    }
    socket-default {
      fwmark = 0x42
    }
    kernel-libipsec {
      allow_peer_ts = yes
    }
  }
}
`

var includeRE = regexp.MustCompile(`(?m)^\s*include\s+strongswan\.conf\s*$`)

// FixTestingConf inserts adjustment 4 into strongswan.conf.testing, before
// its `include strongswan.conf` so that the scenario's own settings still
// win.
func FixTestingConf(text string) string {
	if strings.Contains(text, "added by the lab") {
		return text
	}
	if loc := includeRE.FindStringIndex(text); loc != nil {
		return text[:loc[0]] + testingConfAdditions + text[loc[0]:]
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return text + testingConfAdditions
}

// tunAcceptRules are what the iptables-restore shim appends to *filter.
var tunAcceptRules = []string{
	"-A INPUT -i ipsec+ -j ACCEPT",
	"-A OUTPUT -o ipsec+ -j ACCEPT",
	"-A FORWARD -i ipsec+ -j ACCEPT",
	"-A FORWARD -o ipsec+ -j ACCEPT",
}

// AddTunAccept inserts tunAcceptRules before the COMMIT of the first
// *filter table of an iptables-restore input.
func AddTunAccept(rules string) string {
	lines := strings.SplitAfter(rules, "\n")
	var b strings.Builder
	inFilter, done := false, false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "*") {
			inFilter = t == "*filter"
		}
		if inFilter && !done && t == "COMMIT" {
			b.WriteString("# added by the lab: libipsec traffic uses the TUN device\n")
			for _, r := range tunAcceptRules {
				b.WriteString(r + "\n")
			}
			done = true
		}
		b.WriteString(l)
	}
	return b.String()
}
