package lab

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process bookkeeping from the root namespace's /proc. A lab host is a PID
// namespace; its processes are found by comparing /proc/PID/ns/pid with
// that of the host's init.

type proc struct {
	Pid     int    // in the root PID namespace
	NsPid   int    // in the host's PID namespace
	PPid    int    // parent, root namespace
	Comm    string // executable name
	Cmdline string
}

// procStat returns the comm and the fields after it of /proc/PID/stat.
func procStat(pid int) (comm string, fields []string, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", nil, err
	}
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return "", nil, fmt.Errorf("bad stat of %d", pid)
	}
	return string(b[open+1 : closing]), strings.Fields(string(b[closing+1:])), nil
}

// procStartTime is field 22 of /proc/PID/stat: start time in clock ticks
// since boot. With the PID it identifies a process across PID reuse.
func procStartTime(pid int) (uint64, error) {
	_, f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 20 {
		return 0, fmt.Errorf("short stat of %d", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func procAlive(pid int) bool {
	_, f, err := procStat(pid)
	return err == nil && len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// hostProcs lists the processes in the PID namespace whose init is initPid
// (including the init itself).
func hostProcs(initPid int) ([]proc, error) {
	nsLink, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPid))
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != nsLink {
			continue
		}
		comm, f, err := procStat(pid)
		if err != nil || len(f) < 2 || f[0] == "Z" {
			continue
		}
		p := proc{Pid: pid, Comm: comm}
		p.PPid, _ = strconv.Atoi(f[1])
		p.NsPid = nsPidOf(pid)
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil {
			p.Cmdline = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		out = append(out, p)
	}
	return out, nil
}

// nsPidOf returns the innermost PID of pid (last NSpid entry).
func nsPidOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[len(f)-1])
				return n
			}
		}
	}
	return 0
}

// killAndWait sends sig to the processes, then waits up to d for them to
// exit, then SIGKILLs the rest and waits once more.
func killAndWait(ps []proc, sig syscall.Signal, d time.Duration) {
	for _, p := range ps {
		_ = syscall.Kill(p.Pid, sig)
	}
	waitGone(ps, d)
	var left []proc
	for _, p := range ps {
		if procAlive(p.Pid) {
			left = append(left, p)
			_ = syscall.Kill(p.Pid, syscall.SIGKILL)
		}
	}
	waitGone(left, 2*time.Second)
}

func waitGone(ps []proc, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		alive := false
		for _, p := range ps {
			if procAlive(p.Pid) {
				alive = true
				break
			}
		}
		if !alive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
