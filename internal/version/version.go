// Package version names the build, for `ipsec version`, `charon --version`
// and the daemon's start-up line. It imports nothing of the project.
package version

import (
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"
)

// Version is set at link time (-ldflags "-X .../version.Version=1.2.3");
// otherwise it is derived from the VCS stamp of the build.
var Version = ""

// Compat is the strongSwan release whose configuration, commands and
// output this build follows.
const Compat = "5.9.8"

// String is the version of this build, e.g. "0.1.0-dev+3f2a1c9".
func String() string {
	if Version != "" {
		return Version
	}
	v := "0.1.0-dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				v += "+" + s.Value[:7]
			}
		}
	}
	return v
}

// Banner is the line `ipsec version` prints, in the spirit of strongSwan's
// "Linux strongSwan U5.9.8/K6.1.0".
func Banner() string {
	var u unix.Utsname
	kernel := "unknown"
	if unix.Uname(&u) == nil {
		kernel = strings.TrimRight(string(u.Release[:]), "\x00")
	}
	return "goswan " + String() + " (strongSwan " + Compat + " compatible), Linux " + kernel
}
