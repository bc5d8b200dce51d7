// Command charon is goswan's IKEv2 daemon, a drop-in for strongSwan's
// charon: `ipsec start` runs it detached; it reads strongswan.conf,
// ipsec.conf, ipsec.secrets and ipsec.d, logs like charon, answers the
// control socket (/var/run/charon.ctl) and negotiates IKE_SAs on ports
// 500/4500. --configtest checks a configuration without starting.
// $GOSWAN_CPUPROFILE=FILE writes a pprof CPU profile of the run to FILE.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/configtest"
	"github.com/goswan/goswan/internal/control/service"
	"github.com/goswan/goswan/internal/daemon"
	"github.com/goswan/goswan/internal/log"
	"github.com/goswan/goswan/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("charon", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	check := fs.Bool("configtest", false, "check the configuration and exit (status 1 on errors)")
	confdir := fs.String("confdir", "", "directory holding ipsec.conf, ipsec.secrets, ipsec.d and strongswan.conf (default /etc)")
	useSyslog := fs.Bool("use-syslog", false, "log to syslog only (as under ipsec start), not to stdout")
	debug := map[string]*int{}
	for g := log.Group(0); int(g) < log.NumGroups; g++ {
		debug[g.Key()] = fs.Int("debug-"+g.Key(), -2, "log level of the "+strings.ToUpper(g.Key())+" subsystem (-1..4)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *showVersion:
		fmt.Println(version.Banner())
		return 0
	case *check:
		opts := config.Options{ConfDir: *confdir}
		if *confdir != "" {
			if p := filepath.Join(*confdir, "strongswan.conf"); exists(p) {
				opts.StrongswanConf = p
			}
		}
		if !configtest.Check(opts).Print(os.Stdout) {
			return 1
		}
		return 0
	}
	return serve(*confdir, *useSyslog, debug)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// serve runs the daemon until ipsec stop or a signal.
func serve(confdir string, useSyslog bool, debug map[string]*int) int {
	if confdir == "" {
		confdir = "/etc"
	}
	// charondebug of config setup gives the default levels, as starter
	// passes it to charon; --debug-* flags override it
	levels := log.AllLevels(log.Ctrl)
	if c, _ := config.LoadIPsecConf(nil, filepath.Join(confdir, "ipsec.conf")); c != nil && c.Setup.CharonDebug != "" {
		if lv, err := log.ParseCharonDebug(c.Setup.CharonDebug); err == nil {
			levels = lv
		}
	}
	for g := log.Group(0); int(g) < log.NumGroups; g++ {
		if v := *debug[g.Key()]; v >= -1 {
			levels[g] = log.Level(v)
		}
	}
	logger := log.New(log.Options{DefaultLevels: &levels, Foreground: !useSyslog})
	defer logger.Close()
	logf := func(format string, args ...any) { logger.Log(log.DMN, log.Ctrl, log.Context{}, format, args...) }
	if p := os.Getenv(envCPUProfile); p != "" {
		stop, err := startCPUProfile(p)
		if err != nil {
			logf("%v", err)
			return 1
		}
		defer stop()
	}
	svc, err := service.Start(service.DefaultConfig(logf))
	if err != nil {
		var running *service.RunningError
		if errors.As(err, &running) {
			logf("%v", err)
		} else {
			logf("%v", err)
		}
		return 1
	}
	defer svc.Close()
	opts := daemon.Options{ConfDir: confdir, Logger: logger}
	if confdir != "/etc" {
		if p := filepath.Join(confdir, "strongswan.conf"); exists(p) && os.Getenv("STRONGSWAN_CONF") == "" {
			opts.StrongswanConf = p
		}
	}
	d, err := daemon.New(opts)
	if err != nil {
		logf("%v", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(ctx) }()
	err = svc.Serve(context.Background(), d)
	cancel()
	if rerr := <-runDone; rerr != nil {
		logf("%v", rerr)
	}
	if err != nil {
		logf("%v", err)
		return 1
	}
	return 0
}

// envCPUProfile names a file that receives a pprof CPU profile of the
// daemon's run, from start to shutdown (testing/cmd/bench uses it).
const envCPUProfile = "GOSWAN_CPUPROFILE"

// startCPUProfile starts writing a CPU profile to path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
