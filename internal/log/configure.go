package log

import (
	"errors"
	"fmt"

	"github.com/goswan/goswan/internal/config"
)

// Configure installs the loggers strongswan.conf defines, replacing the
// previous ones, as charon does at start and on SIGHUP (daemon.c
// load_loggers):
//
//   - <ns>.syslog.identifier: the syslog tag (else Options.Program);
//   - <ns>.syslog.<facility> for the facilities daemon and auth (auth is
//     LOG_AUTHPRIV; other names are ignored): default (1), <group>
//     (default), ike_name (no), log_level (no), map_level (-1);
//   - <ns>.filelog.<name>: path (the name), default (1), <group>
//     (default), append (yes), flush_line (no), ike_name (no), log_level
//     (no), time_format (none), time_add_ms (no); the paths stdout and
//     stderr name the process's streams.
//
// If neither section defines a logger, the default loggers are installed:
// syslog daemon at Options.DefaultLevels, stdout at those levels with
// Options.Foreground (else silent), syslog auth at level 0 for all groups.
//
// A logger for the same facility or path as before is kept (with the
// options the new configuration does not set, as charon), and its file is
// opened again (so "append = no" truncates it on every reload); the lines
// buffered for the old file are written first. A file that fails to open
// is reported at DMN level 1 ("opening file X for logging failed: ...")
// and in the returned error; a logger that had the file open keeps it.
// Messages logged concurrently go to the old or the new loggers, none is
// lost. s may be nil (no loggers configured).
func (l *Logger) Configure(s *config.Settings) error {
	if l == nil {
		return nil
	}
	var problems []string
	var errs []error

	l.mu.Lock()
	if l.state == stateClosed {
		l.mu.Unlock()
		return errors.New("log: Configure on a closed Logger")
	}
	ns := l.ns
	if id, ok := s.Get(ns + ".syslog.identifier"); ok {
		l.sys.tag = id
	} else {
		l.sys.tag = l.program
	}

	oldFiles, oldSys := l.files, l.syslogs
	var files []*fileSink
	var syslogs []*sysSink
	var closing []*output
	takeSys := func(name string, facility int) *sysSink {
		for i, ss := range oldSys {
			if ss != nil && ss.facilityName == name {
				oldSys[i] = nil
				return ss
			}
		}
		return newSysSink(name, facility)
	}
	takeFile := func(target string) *fileSink {
		for i, fs := range oldFiles {
			if fs != nil && fs.target == target {
				oldFiles[i] = nil
				return fs
			}
		}
		return newFileSink(target)
	}
	open := func(fs *fileSink, appendMode, flushLine bool) {
		var out *output
		switch fs.target {
		case "stdout":
			out = l.stdout
		case "stderr":
			out = l.stderr
		default:
			if fs.out != nil {
				// write what the old file has buffered before a new
				// open truncates it
				fs.out.flush()
			}
			var err error
			out, err = openFile(fs.target, appendMode, flushLine)
			if err != nil {
				problems = append(problems, fmt.Sprintf("opening file %s for logging failed: %s", fs.target, strerror(err)))
				errs = append(errs, fmt.Errorf("log: opening file %s for logging failed: %w", fs.target, err))
				return
			}
		}
		if fs.out != nil && fs.out != out {
			closing = append(closing, fs.out)
		}
		fs.out = out
	}

	for _, name := range s.Sections(ns + ".syslog") {
		facility, ok := syslogFacility(name)
		if !ok {
			continue
		}
		key := ns + ".syslog." + name + "."
		ss := takeSys(name, facility)
		ss.ikeName = s.GetBool(key+"ike_name", false)
		ss.logLevel = s.GetBool(key+"log_level", false)
		ss.mapLevel = s.GetInt(key+"map_level", -1)
		ss.levels = readLevels(s, key)
		syslogs = append(syslogs, ss)
	}
	for _, name := range s.Sections(ns + ".filelog") {
		key := ns + ".filelog." + name + "."
		fs := takeFile(s.GetString(key+"path", name))
		fs.timeFormat = s.GetString(key+"time_format", "")
		fs.addMS = s.GetBool(key+"time_add_ms", false)
		fs.ikeName = s.GetBool(key+"ike_name", false)
		fs.logLevel = s.GetBool(key+"log_level", false)
		open(fs, s.GetBool(key+"append", true), s.GetBool(key+"flush_line", false))
		fs.levels = readLevels(s, key)
		files = append(files, fs)
	}
	if len(files) == 0 && len(syslogs) == 0 {
		daemon := takeSys("daemon", facilityDaemon)
		daemon.levels = l.defaults
		stdout := takeFile("stdout")
		open(stdout, false, false)
		if l.foreground {
			stdout.levels = l.defaults
		}
		auth := takeSys("auth", facilityAuthpriv)
		auth.levels = AllLevels(Audit)
		syslogs = append(syslogs, daemon, auth)
		files = append(files, stdout)
	}
	for _, fs := range oldFiles {
		if fs != nil && fs.out != nil {
			closing = append(closing, fs.out)
		}
	}
	for _, o := range closing {
		if o == l.stdout || o == l.stderr {
			o.flush()
		} else {
			o.close()
		}
	}
	l.files, l.syslogs = files, syslogs
	l.state = stateConfigured
	l.recompute()
	l.mu.Unlock()

	for _, p := range problems {
		l.LogText(DMN, Ctrl, Context{}, p)
	}
	return errors.Join(errs...)
}

// readLevels reads "<key>default" and "<key><group>" for every group.
func readLevels(s *config.Settings, key string) Levels {
	def := s.GetInt(key+"default", 1)
	var ls Levels
	for g := range NumGroups {
		ls[g] = clampLevel(s.GetInt(key+Group(g).Key(), def))
	}
	return ls
}
