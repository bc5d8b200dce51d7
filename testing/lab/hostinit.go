package lab

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A lab host is a small container: a network namespace plus private PID,
// mount and UTS namespaces whose PID 1 is HostInit. Killing that process
// kills everything the host started. HostInit, inside the host's own mount
// namespace (so nothing is visible from the root namespace):
//
//   - makes all mounts private and detaches the copies of /run/netns/*,
//     so the host does not pin other network namespaces;
//   - mounts a fresh /proc (its PID namespace) and /sys (its network
//     namespace);
//   - gives the host a tmpfs /dev with bind-mounted device nodes (null,
//     zero, full, random, urandom, tty, ptmx, pts, net/tun) and its own
//     /dev/log;
//   - binds State/hosts/H/{run,log,tmp} over /run (= /var/run), /var/log
//     and /tmp: each host has its own pid files, control sockets and logs;
//   - mounts the overlay /etc (layers.go);
//   - sets the host name and the forwarding sysctls;
//   - runs Debian's rsyslogd on that /dev/log, so a daemon's syslog(3)
//     output lands in the host's /var/log/daemon.log (traditional format);
//   - then reaps orphans for as long as the host lives.

// rsyslogConf is the hosts' syslog configuration (written to
// State/rsyslog.conf). The file layout is that of strongSwan's test hosts:
// daemon.* in daemon.log, auth in auth.log, the traditional format.
const rsyslogConf = `# lab host syslog (testing/lab/hostinit.go)
global(workDirectory="/run")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
module(load="builtin:omfile" template="RSYSLOG_TraditionalFileFormat" fileCreateMode="0644")
$RepeatedMsgReduction off
daemon.*                action(type="omfile" file="/var/log/daemon.log")
auth,authpriv.*         action(type="omfile" file="/var/log/auth.log")
*.*;auth,authpriv.none  action(type="omfile" file="/var/log/syslog")
`

const overlayfsMagic = 0x794c7630

// HostInit is the body of `lab host-init HOST GEN`. File descriptor 3 is
// the readiness pipe: "ok\n" once the host is set up, or an error line.
func HostInit(cfg Config, host, gen string) error {
	ready := os.NewFile(3, "ready")
	if os.Getpid() != 1 {
		return errors.New("host-init must be PID 1 of a new PID namespace")
	}
	if err := setupHost(cfg, host, gen); err != nil {
		fmt.Fprintf(ready, "error: %v\n", err)
		ready.Close()
		return err
	}
	sv := &supervisor{conf: cfg.rsyslogConf()}
	if err := sv.startSyslog(); err != nil {
		fmt.Fprintf(ready, "error: rsyslogd: %v\n", err)
		ready.Close()
		return err
	}
	ready.WriteString("ok\n")
	ready.Close()
	sv.run()
	return nil
}

func setupHost(cfg Config, host, gen string) error {
	d := cfg.hostDir(host)
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	detachNetnsMounts()
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := unix.Mount("sysfs", "/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /sys: %w", err)
	}
	if err := setupDev(filepath.Join(d, "dev")); err != nil {
		return fmt.Errorf("/dev: %w", err)
	}
	for _, b := range [][2]string{{"run", "/run"}, {"log", "/var/log"}, {"tmp", "/tmp"}} {
		if err := unix.Mount(filepath.Join(d, b[0]), b[1], "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding %s: %w", b[1], err)
		}
	}
	if err := os.MkdirAll("/run/lock", 0o755); err != nil {
		return err
	}
	if err := MountEtc(gen); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(host)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	// as the test hosts' sysctl.conf (also set by Up, before the
	// interfaces existed; repeated here for hosts restarted by hand)
	return writeSysctls([][2]string{
		{"net.ipv4.ip_forward", "1"},
		{"net.ipv6.conf.all.forwarding", "1"},
	}, false)
}

// detachNetnsMounts lazily unmounts the copies of named network namespace
// mounts (ours, the reference lab's, anyone's) this mount namespace
// inherited; otherwise every host would keep the others' namespaces alive.
func detachNetnsMounts() {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mps []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountPath(f[4])
		if strings.HasPrefix(mp, "/run/netns/") || strings.HasPrefix(mp, "/var/run/netns/") {
			mps = append(mps, mp)
		}
	}
	for i := len(mps) - 1; i >= 0; i-- {
		_ = unix.Unmount(mps[i], unix.MNT_DETACH)
	}
}

// setupDev builds the host's /dev on a tmpfs at dir and moves it over /dev.
func setupDev(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID, "mode=755,size=1m"); err != nil {
		return err
	}
	bindNode := func(name string) error {
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return err
		}
		f.Close()
		return unix.Mount("/dev/"+name, dst, "", unix.MS_BIND, "")
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty", "ptmx", "net/tun"} {
		if err := bindNode(n); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	for _, sub := range []string{"pts", "shm"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("/dev/pts", filepath.Join(dir, "pts"), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("pts: %w", err)
	}
	if err := unix.Mount("shm", filepath.Join(dir, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=16m"); err != nil {
		return fmt.Errorf("shm: %w", err)
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return unix.Mount(dir, "/dev", "", unix.MS_MOVE, "")
}

// MountEtc (re)mounts the overlay /etc of the calling mount namespace on
// the layers of generation directory gen (base, scen, upper, work). It is
// the body of `lab host-mount-etc GEN`, which the runner runs inside a host
// through nsenter.
func MountEtc(gen string) error {
	for i := 0; i < 10; i++ {
		var st unix.Statfs_t
		if err := unix.Statfs("/etc", &st); err != nil {
			return err
		}
		if st.Type != overlayfsMagic {
			break
		}
		if err := unix.Unmount("/etc", unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmounting /etc: %w", err)
		}
	}
	upper, work := filepath.Join(gen, "upper"), filepath.Join(gen, "work")
	for _, p := range []string{upper, work} {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s:%s:/etc,upperdir=%s,workdir=%s",
		filepath.Join(gen, "scen"), filepath.Join(gen, "base"), upper, work)
	if err := unix.Mount("goswan-lab-etc", "/etc", "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting overlay /etc (%s): %w", opts, err)
	}
	return nil
}

// supervisor is the part of PID 1 that runs after setup: it reaps every
// child (orphans of the PID namespace are reparented to it) and keeps
// rsyslogd running.
type supervisor struct {
	conf      string
	syslogPid int
	stopping  bool
}

func (s *supervisor) startSyslog() error {
	_ = os.Remove("/run/rsyslogd.pid")
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	p, err := os.StartProcess("/usr/sbin/rsyslogd",
		[]string{"rsyslogd", "-n", "-f", s.conf, "-i", "/run/rsyslogd.pid"},
		&os.ProcAttr{
			Dir:   "/",
			Env:   []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"},
			Files: []*os.File{null, os.Stdout, os.Stderr},
		})
	if err != nil {
		return err
	}
	s.syslogPid = p.Pid
	for i := 0; i < 100; i++ {
		if fi, err := os.Stat("/dev/log"); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("/dev/log did not appear")
}

func (s *supervisor) run() {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	tick := time.NewTicker(5 * time.Second) // reap even if a SIGCHLD was missed
	defer tick.Stop()
	var restartSyslog <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			if sig == unix.SIGTERM || sig == unix.SIGINT {
				s.shutdown()
				return
			}
		case <-tick.C:
		case <-restartSyslog:
			restartSyslog = nil
			if err := s.startSyslog(); err != nil {
				fmt.Fprintf(os.Stderr, "host-init: restarting rsyslogd: %v\n", err)
			}
		}
		if s.reapAll() && restartSyslog == nil && !s.stopping {
			fmt.Fprintln(os.Stderr, "host-init: rsyslogd exited; restarting it")
			restartSyslog = time.After(time.Second)
		}
	}
}

// reapAll collects every exited child; it reports whether rsyslogd was
// among them.
func (s *supervisor) reapAll() (syslogDied bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return syslogDied
		}
		if pid == s.syslogPid {
			s.syslogPid = 0
			syslogDied = true
		}
	}
}

// shutdown terminates every process of the host, then returns.
func (s *supervisor) shutdown() {
	s.stopping = true
	_ = unix.Kill(-1, syscall.SIGTERM)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		s.reapAll()
		if err := unix.Kill(-1, 0); errors.Is(err, unix.ESRCH) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = unix.Kill(-1, syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	s.reapAll()
}
