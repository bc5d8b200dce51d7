package config

// Random ipsec.conf and strongswan.conf generators for the differential
// tests against strongSwan's starter and libstrongswan.

import (
	"math/rand"
	"strings"
)

var genKeys = []string{
	"left", "right", "leftsubnet", "rightsubnet", "leftid", "rightid", "auto", "keyexchange",
	"ikelifetime", "keylife", "lifetime", "rekeymargin", "margintime", "mobike", "type",
	"leftfirewall", "leftupdown", "mark", "mark_in", "rekeyfuzz", "keyingtries", "dpdaction",
	"leftprotoport", "leftsourceip", "rightsourceip", "authby", "leftauth", "esp", "ike",
	"foo", "plutostart", "uniqueids", "cacert", "crluri", "pfs", "leftnexthop", "compress",
	"replay_window", "tfc", "leftsendcert", "installpolicy", "fragmentation",
	"leftsubnetwithin", "rightrsasigkey", "crluri1", "auto", "auto", "also",
	"reqid", "lifebytes", "ikedscp", "leftikeport", "inactivity", "dpddelay", "mark_out",
}

var genValues = []string{
	"add", "start", "ignore", "route", "yes", "no", "ikev2", "ike", "1h", "20m", "3600", "5x",
	"10.1.0.0/16", "10.1.0.0/16,10.2.0.0/16", "%any", "%defaultroute", "@moon.strongswan.org",
	"tunnel", "transport", "pass", "0x10/0xff", "%unique", "100%", "50", "%forever", "3",
	"restart", "clear", "tcp/http", "17/%any", "%config", "%pool", "10.3.0.0/24", "psk", "pubkey",
	"eap-md5", "aes128-sha256!", "accept", "always", "%mtu", "x.pem",
	"h", "\" 5\"", "+5", "0x10", "010", "5%%",
	"tcp/80-90", "/53", "%any/%opaque", "0x11", "%unique-dir/0x0f", "%same", "2m", "0s",
}

func genPick(r *rand.Rand, l []string) string { return l[r.Intn(len(l))] }

func genBlank(r *rand.Rand) string {
	return genPick(r, []string{" ", "  ", "\t", " \t"})
}

// value renders a value with the syntax variants starter accepts.
func genValue(r *rand.Rand) string {
	switch r.Intn(12) {
	case 0:
		return ""
	case 1:
		return "\"" + genPick(r, genValues) + "  " + genPick(r, genValues) + "\""
	case 2:
		return genPick(r, genValues) + genBlank(r) + genPick(r, genValues)
	case 3:
		return "\"esc\\\"aped\\\\ \\t#x\""
	case 4:
		return genPick(r, genValues) + " # comment"
	case 5:
		return "\"multi\\\nline\""
	case 6:
		return "@#0a0b"
	case 7:
		return genPick(r, genValues) + "#nospace"
	case 8:
		return "\"\""
	case 9:
		return "\"a\nb\"" + genPick(r, genValues)
	}
	return genPick(r, genValues)
}

// generateConf returns a main ipsec.conf and sometimes an included file.
func generateConf(r *rand.Rand) map[string]string {
	files := map[string]string{}
	names := []string{"a", "b", "c", "%default"}
	var b strings.Builder
	lines := 3 + r.Intn(25)
	if r.Intn(10) == 0 {
		b.WriteString("version 2\n")
	}
	for i := 0; i < lines; i++ {
		switch r.Intn(14) {
		case 0:
			b.WriteString("config setup" + genPick(r, []string{"", " ", "  # c"}) + "\n")
		case 1, 2:
			b.WriteString("conn " + genPick(r, names) + genPick(r, []string{"", " ", "\t# c"}) + "\n")
		case 3:
			if r.Intn(3) == 0 {
				b.WriteString("ca " + genPick(r, names[:1]) + "\n")
			} else {
				b.WriteString("ca %default\n")
			}
		case 4:
			b.WriteString(genBlank(r) + "also=" + genPick(r, append(names, "zz")) + "\n")
		case 5:
			b.WriteString(genPick(r, []string{"\n", "# comment\n", genBlank(r) + "# c\n", genBlank(r) + "\n",
				"conn \"q name\"\n", "  version 3\n", "conn a b\n", "  also=%default\n", "  also=\n",
				"  include  =x\n", "  \"quoted\"=x\n", "conn @#x\n", "ca\n"}))
		case 6:
			if r.Intn(4) == 0 {
				files["sub/inc.conf"] = genPick(r, []string{"conn " + genPick(r, names) + "\n", "", "  "}) + "  " + genPick(r, genKeys) + "=" + genValue(r) + genPick(r, []string{"\n", ""})
				files["sub/x y.conf"] = "  " + genPick(r, genKeys) + "=" + genValue(r) + "\n"
				b.WriteString(genPick(r, []string{"", "  "}) + genPick(r, []string{"include sub/*.conf", "include \"sub/x y.conf\"",
					"include sub/x\\ y.conf", "include sub/inc.conf # c", "include sub/none.conf", "include sub/inc.conf  " + genPick(r, genKeys) + "=1"}) + "\n")
			} else if r.Intn(8) == 0 {
				// a syntax error
				b.WriteString(genPick(r, []string{"left=1.2.3.4\n", "  leftid=a=b\n", "  conn x\n", "  left\n", "conn\n", "  left=\"open\n", "  =x\n"}))
			}
		default:
			b.WriteString(genBlank(r) + genPick(r, genKeys) + genPick(r, []string{"=", "= ", " = ", "=\t"}) + genValue(r) + "\n")
		}
	}
	files["ipsec.conf"] = b.String()
	return files
}

var setNames = []string{"charon", "libstrongswan", "libhydra", "plugins", "attr-sql", "a", "b", "c", "tls", "libtls"}

var setRefs = []string{"a", "b", "c", "a.b", "b.c", "charon", "libhydra.plugins", "a.b.c", "x"}

func genSetValue(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return ""
	case 1:
		return "\"quoted  value\""
	case 2:
		return genPick(r, genValues) + genBlank(r) + genPick(r, genValues)
	case 3:
		return "\"multi\nline\\\nmerged\"" + " tail"
	case 4:
		return genPick(r, genValues) + " # comment"
	}
	return genPick(r, genValues)
}

func genSettingsBody(r *rand.Rand, b *strings.Builder, depth int, files map[string]string) {
	n := r.Intn(5)
	for i := 0; i < n; i++ {
		switch r.Intn(10) {
		case 0, 1, 2:
			if depth < 3 {
				b.WriteString(genPick(r, setNames))
				if r.Intn(4) == 0 {
					b.WriteString(" : " + genPick(r, setRefs))
					if r.Intn(2) == 0 {
						b.WriteString(", " + genPick(r, setRefs))
					}
				}
				b.WriteString(genPick(r, []string{" {\n", "{", "\n{\n"}))
				genSettingsBody(r, b, depth+1, files)
				b.WriteString("}\n")
			}
		case 3:
			name := genPick(r, []string{"inc/a.conf", "inc/b.conf"})
			if _, ok := files[name]; !ok {
				var sub strings.Builder
				files[name] = ""
				genSettingsBody(r, &sub, depth, files)
				files[name] = sub.String()
			}
			b.WriteString(genPick(r, []string{"include inc/*.conf\n", "include " + name + "\n", "include \"" + name + "\"\n", "include none.conf\n"}))
		case 4:
			b.WriteString(genPick(r, []string{"# comment\n", "\n", "  \t\n"}))
		case 5:
			if r.Intn(6) == 0 { // syntax errors
				b.WriteString(genPick(r, []string{"}\n", "x y\n", "a.b = c\n", "\"q\" = 1\n", "x = \"open\n"}))
			}
		default:
			b.WriteString(genPick(r, []string{"x", "y", "database", "load"}) + genPick(r, []string{" = ", "=", " =\t"}) + genSetValue(r) + "\n")
		}
	}
}

// generateSettings returns a main strongswan.conf and possibly included files.
func generateSettings(r *rand.Rand) map[string]string {
	files := map[string]string{}
	var b strings.Builder
	genSettingsBody(r, &b, 0, files)
	genSettingsBody(r, &b, 0, files)
	files["strongswan.conf"] = b.String()
	return files
}

// settingsQueries are the lookups compared.
var settingsQueries = []string{
	"x", "y", "a.x", "a.y", "b.x", "c.x", "a.b.x", "a.b.c.x", "b.c.x", "charon.x", "charon.y",
	"charon.plugins.attr-sql.database", "charon.plugins.x", "charon.tls.x", "charon.a.x",
	"libstrongswan.x", "libhydra.plugins.attr-sql.database", "a.a.x", "c.b.x", "charon.load",
	"S:", "S:charon", "S:a", "S:b", "S:c", "S:a.b", "S:charon.plugins", "S:libhydra.plugins",
	"K:", "K:charon", "K:a", "K:b", "K:c", "K:a.b", "K:charon.plugins.attr-sql", "K:charon.tls",
}
