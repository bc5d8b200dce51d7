package log

import (
	"strings"
	"testing"
)

func TestGroupNames(t *testing.T) {
	// charon's order (utils/debug.h) and names (debug.c)
	want := "DMN MGR IKE CHD JOB CFG KNL NET ASN ENC TNC IMC IMV PTS TLS APP ESP LIB"
	var got []string
	for g := range NumGroups {
		got = append(got, Group(g).String())
		if Group(g).Key() != strings.ToLower(Group(g).String()) {
			t.Errorf("Key(%v) = %q", Group(g), Group(g).Key())
		}
	}
	if strings.Join(got, " ") != want {
		t.Errorf("groups %v, want %s", got, want)
	}
	if Any.String() != "ANY" || Group(99).String() != "Group(99)" {
		t.Errorf("Any = %v, 99 = %v", Any, Group(99))
	}
	for _, tt := range []struct {
		name string
		g    Group
		ok   bool
	}{{"ike", IKE, true}, {"KNL", KNL, true}, {"Esp", ESP, true}, {"any", Any, true}, {"ik", 0, false}, {"", 0, false}} {
		if g, ok := ParseGroup(tt.name); g != tt.g || ok != tt.ok {
			t.Errorf("ParseGroup(%q) = %v, %v", tt.name, g, ok)
		}
	}
}

func TestParseCharonDebug(t *testing.T) {
	tests := []struct {
		in   string
		want map[Group]Level // groups not listed are at 1
		err  string
	}{
		{"", nil, ""},
		{"ike 2, knl 3, cfg 0", map[Group]Level{IKE: 2, KNL: 3, CFG: 0}, ""},
		{"ike2,knl -1", map[Group]Level{IKE: 2, KNL: -1}, ""},
		{"  dmn 4 ,mgr 0", map[Group]Level{DMN: 4, MGR: 0}, ""},
		{"ike 2 knl 3", map[Group]Level{IKE: 2}, ""},         // sscanf stops at the missing comma
		{"ike 2, knl x, cfg 3", map[Group]Level{IKE: 2}, ""}, // and at a bad level
		{"ik 2", map[Group]Level{IKE: 2}, ""},                // getopt_long takes a unique prefix
		{"d 3", map[Group]Level{DMN: 3}, ""},
		{"ikev2 2", nil, ""}, // %3s reads "ike", then "v2" is no number: stop
		{"i 2", nil, "ambiguous"},
		{"app 2", nil, "unrecognized option '--debug-app'"},
		{"foo 1", nil, "unrecognized"},
	}
	for _, tt := range tests {
		got, err := ParseCharonDebug(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseCharonDebug(%q): error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCharonDebug(%q): %v", tt.in, err)
			continue
		}
		want := AllLevels(Ctrl)
		for g, lv := range tt.want {
			want[g] = lv
		}
		if got != want {
			t.Errorf("ParseCharonDebug(%q) = %v, want %v", tt.in, got, want)
		}
	}
}
