// Package log renders the daemon's log messages exactly as strongSwan 5.9's
// charon does, so the scenario tests and the admins who grep charon's lines
// keep working:
//
//	Nov 27 15:40:08 moon charon: 05[IKE] IKE_SA rw[1] established between ...  (syslog)
//	Nov 27 15:40:08 05[IKE] <rw|1> IKE_SA rw[1] established between ...        (filelog)
//
// A [Logger] is configured from the charon.syslog and charon.filelog
// sections of strongswan.conf (see [Logger.Configure]); without any logger
// configured it installs the same default loggers charon does (syslog
// daemon and auth, and stdout when the daemon runs in the foreground).
// Messages carry a [Group] (charon's subsystems, printed as [IKE], [KNL],
// ...), a [Level] (0 audit .. 4 private) and a [Context] (the "thread"
// number and the IKE_SA's name and unique id). A message nobody wants costs
// one atomic load and no allocation; [Logger.Enabled] lets a caller skip
// building expensive arguments.
//
// The control socket streams the messages of one IKE_SA to an "ipsec up"
// client with [Logger.Subscribe]; [Hex] formats byte strings like charon's
// %B printf hook (hex dumps at levels 3 and 4); [Logger.SlogHandler] adapts
// log/slog users.
//
// This package imports only the standard library, golang.org/x/sys/unix and
// internal/config; it must not import any other package of this project
// (everything else logs through it).
package log
