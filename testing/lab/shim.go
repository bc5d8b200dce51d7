package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Shims: inside a host, PATH starts with State/shim, whose entries are
// symlinks to the lab binary. main dispatches on the name it was run as.
//
//	ipsec               exec $IPSEC_BIN (set per host: IPSEC_BIN_<host>)
//	expect-connection   wait until `ipsec statusall` lists a connection
//	expect-file         wait until a file exists
//	iptables-restore    append ACCEPT rules for ipsec+ devices (LAB_FW_TUN)
//	ip6tables-restore     to the *filter table, then run the real one
//	killall, pkill      refuse to run outside a lab host's PID namespace

// IsShim reports whether name (argv[0]'s base name) is a shim.
func IsShim(name string) bool {
	for _, n := range shimNames {
		if n == name {
			return true
		}
	}
	return false
}

// RunShim runs shim name with args and returns the exit status.
func RunShim(name string, args []string) int {
	var err error
	code := 0
	switch name {
	case "ipsec":
		err = shimIpsec(args)
	case "expect-connection":
		code = shimExpectConnection(args)
	case "expect-file":
		code = shimExpectFile(args)
	case "iptables-restore", "ip6tables-restore":
		code, err = shimIptablesRestore(name, args)
	case "killall", "pkill":
		err = shimGuardedKill(name, args)
	default:
		err = fmt.Errorf("unknown shim %q", name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab %s: %v\n", name, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func shimIpsec(args []string) error {
	bin := os.Getenv("IPSEC_BIN")
	if bin == "" {
		bin = DefaultIpsecBin
	}
	return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
}

// waitFor polls ok every 100 ms for secs seconds (as the upstream helper
// scripts do: default 5 s).
func waitFor(args []string, what string, ok func(string) bool) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Println("invalid arguments")
		return 1
	}
	secs := 5.0
	if len(args) == 2 {
		n, err := strconv.ParseFloat(args[1], 64)
		if err != nil {
			fmt.Println("invalid arguments")
			return 1
		}
		secs = n
	}
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for {
		if ok(args[0]) {
			return 0
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("%s '%s' not available after %s second(s)\n", what, args[0], strconv.FormatFloat(secs, 'f', -1, 64))
	return 1
}

var strokeLoadRE = regexp.MustCompile(`load.*stroke`)

func shimExpectConnection(args []string) int {
	// like upstream: stroke configurations are asked with `ipsec
	// statusall`, swanctl ones with `swanctl --list-conns`
	cmd := []string{"ipsec", "statusall"}
	if b, err := os.ReadFile("/etc/strongswan.conf"); err == nil && !strokeLoadRE.Match(b) && os.Getenv("DAEMON_NAME") == "" {
		if _, err := exec.LookPath("swanctl"); err == nil {
			if _, err := os.Stat("/etc/swanctl/swanctl.conf"); err == nil {
				cmd = []string{"swanctl", "--list-conns"}
			}
		}
	}
	return waitFor(args, "Connection", func(name string) bool {
		out, _ := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		re, err := regexp.Compile(`(?m)^\s*` + regexp.QuoteMeta(name) + `:`)
		return err == nil && re.Match(out)
	})
}

func shimExpectFile(args []string) int {
	return waitFor(args, "File", func(p string) bool {
		_, err := os.Stat(p) // also sockets and other special files
		return err == nil
	})
}

// shimIptablesRestore passes the rules (stdin, or a file argument) through
// AddTunAccept to the real iptables-restore.
func shimIptablesRestore(name string, args []string) (int, error) {
	real := "/usr/sbin/" + name
	var input []byte
	var err error
	var rest []string
	// a non-option argument is the rules file; options taking a value
	// are -w/-W/-M/-T (and their long forms with =)
	file := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-M" || a == "-T" || a == "-W" || a == "--modprobe" || a == "--table" || a == "--wait-interval":
			rest = append(rest, a)
			if i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		case (a == "-w" || a == "--wait") && i+1 < len(args) && isDigits(args[i+1]):
			rest = append(rest, a, args[i+1])
			i++
		case !strings.HasPrefix(a, "-") && file == "" && a != "":
			file = a
		default:
			rest = append(rest, a)
		}
	}
	if file != "" {
		input, err = os.ReadFile(file)
	} else {
		input, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		return 1, err
	}
	if os.Getenv("LAB_FW_TUN") != "0" {
		input = []byte(AddTunAccept(string(input)))
	}
	c := exec.Command(real, rest...)
	c.Stdin = bytes.NewReader(input)
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	err = c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// InLabHost reports whether the caller runs inside a lab host: PID 1 of its
// PID namespace is the lab's host-init and LAB_HOST is set.
func InLabHost() bool {
	b, err := os.ReadFile("/proc/1/cmdline")
	if err != nil || os.Getenv("LAB_HOST") == "" {
		return false
	}
	f := strings.Split(string(b), "\x00")
	return len(f) >= 2 && f[1] == "host-init"
}

// shimGuardedKill runs the real killall/pkill only inside a lab host,
// where they can see no process but the host's own.
func shimGuardedKill(name string, args []string) error {
	if !InLabHost() {
		return fmt.Errorf("refusing to run outside a lab host's PID namespace")
	}
	real := "/usr/bin/" + name
	return syscall.Exec(real, append([]string{name}, args...), os.Environ())
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
