package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults; each can be overridden through the environment (see FromEnv).
const (
	DefaultPrefix     = "gs-"
	DefaultState      = "/var/tmp/goswan-lab"
	DefaultIpsecBin   = "/usr/sbin/ipsec"
	DefaultCmdTimeout = 60 * time.Second
	DefaultNice       = -10
)

// Config says where the lab lives and how its hosts are set up. The zero
// value is not usable; build one with FromEnv.
type Config struct {
	Prefix     string        // netns names: Prefix+host, Prefix+"switch" (LAB_PREFIX)
	State      string        // runtime state directory (LAB_STATE)
	TestingDir string        // the project's testing/ directory: hosts/, tests/ (LAB_TESTING)
	CmdTimeout time.Duration // per pretest/evaltest/posttest command (LAB_CMD_TIMEOUT, seconds)

	// Nice is the scheduling priority of the commands the runner starts in
	// the hosts, and so of the daemons they start (LAB_NICE, default -10).
	// The scenarios time out after two retransmits one second apart; on a
	// machine busy with builds and fuzzers a default priority makes them
	// flaky.
	Nice int

	// Getenv looks up the per-host settings IPSEC_BIN[_host],
	// LAB_SS_FIXUPS[_host], LAB_FW_TUN[_host] and LAB_PASSENV.
	Getenv func(string) string
}

// FromEnv builds a Config from the environment.
func FromEnv() Config {
	c := Config{
		Prefix:     envOr("LAB_PREFIX", DefaultPrefix),
		State:      envOr("LAB_STATE", DefaultState),
		CmdTimeout: DefaultCmdTimeout,
		Nice:       DefaultNice,
		Getenv:     os.Getenv,
	}
	if s := os.Getenv("LAB_NICE"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= -20 && n <= 19 {
			c.Nice = n
		}
	}
	if s := os.Getenv("LAB_CMD_TIMEOUT"); s != "" {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
			c.CmdTimeout = time.Duration(n * float64(time.Second))
		}
	}
	c.TestingDir = findTestingDir()
	return c
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// findTestingDir locates the project's testing/ directory: $LAB_TESTING, a
// parent of the working directory holding testing/hosts/default, or
// ../testing next to the executable (bin/lab).
func findTestingDir() string {
	if d := os.Getenv("LAB_TESTING"); d != "" {
		return d
	}
	isTesting := func(d string) bool {
		fi, err := os.Stat(filepath.Join(d, "hosts", "default", "etc"))
		return err == nil && fi.IsDir()
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if isTesting(filepath.Join(d, "testing")) {
				return filepath.Join(d, "testing")
			}
			if filepath.Base(d) == "testing" && isTesting(d) {
				return d
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Join(filepath.Dir(filepath.Dir(exe)), "testing")
		if isTesting(d) {
			return d
		}
	}
	return ""
}

func (c Config) getenv(k string) string {
	if c.Getenv == nil {
		return ""
	}
	return c.Getenv(k)
}

// hostEnv looks up KEY_host, then KEY.
func (c Config) hostEnv(key, host string) string {
	if v := c.getenv(key + "_" + host); v != "" {
		return v
	}
	return c.getenv(key)
}

// IpsecBin is what the `ipsec` command runs inside host: IPSEC_BIN_<host>,
// IPSEC_BIN, or strongSwan's /usr/sbin/ipsec.
func (c Config) IpsecBin(host string) string {
	if v := c.hostEnv("IPSEC_BIN", host); v != "" {
		return v
	}
	return DefaultIpsecBin
}

// RunsStrongSwan reports whether host runs Debian's strongSwan, so that its
// configuration needs the kernel-libipsec adjustments (see fixups.go).
// LAB_SS_FIXUPS[_host] = 1/0 forces the answer; the default (auto) is yes
// when the host's ipsec command is strongSwan's /usr/sbin/ipsec.
func (c Config) RunsStrongSwan(host string) bool {
	switch strings.ToLower(c.hostEnv("LAB_SS_FIXUPS", host)) {
	case "1", "yes", "true", "on":
		return true
	case "0", "no", "false", "off":
		return false
	}
	return sameFile(c.IpsecBin(host), DefaultIpsecBin)
}

// FwTun reports whether the iptables-restore shim of host accepts traffic
// on ipsec+ (TUN) devices; LAB_FW_TUN[_host]=0 turns it off.
func (c Config) FwTun(host string) bool {
	v := c.hostEnv("LAB_FW_TUN", host)
	return v != "0" && v != "no"
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// Paths below State.

func (c Config) hostDir(h string) string     { return filepath.Join(c.State, "hosts", h) }
func (c Config) binPath() string             { return filepath.Join(c.State, "bin", "lab") }
func (c Config) shimDir() string             { return filepath.Join(c.State, "shim") }
func (c Config) rsyslogConf() string         { return filepath.Join(c.State, "rsyslog.conf") }
func (c Config) netns(h string) string       { return c.Prefix + h }
func (c Config) switchNetns() string         { return c.Prefix + "switch" }
func (c Config) initPidFile(h string) string { return filepath.Join(c.hostDir(h), "init.pid") }

// PKIDir is where the test PKI is generated and cached. It survives `lab
// down`.
func (c Config) PKIDir() string { return filepath.Join(c.State, "pki") }

// ResultsDir is the default parent of scenario results. It survives `lab
// down`.
func (c Config) ResultsDir() string { return filepath.Join(c.State, "results") }

func (c Config) check() error {
	if c.Prefix == "" || strings.ContainsAny(c.Prefix, "/ \t") {
		return fmt.Errorf("bad LAB_PREFIX %q", c.Prefix)
	}
	if c.Prefix == "ss-" {
		return errors.New("LAB_PREFIX ss- belongs to the reference lab; choose another")
	}
	if !filepath.IsAbs(c.State) || filepath.Clean(c.State) == "/" {
		return fmt.Errorf("LAB_STATE must be an absolute directory other than /, not %q", c.State)
	}
	// the hosts mount their own /tmp, /run, /var/log, /dev, /proc and /sys:
	// state below them would be hidden inside the hosts
	st := filepath.Clean(c.State)
	for _, p := range []string{"/tmp", "/run", "/var/run", "/var/log", "/dev", "/proc", "/sys", "/etc"} {
		if st == p || strings.HasPrefix(st, p+"/") {
			return fmt.Errorf("LAB_STATE %s is below %s, which every lab host replaces; use e.g. /var/tmp", st, p)
		}
	}
	return nil
}
