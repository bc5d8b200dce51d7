// Package control is the daemon's administration interface: a Unix-socket
// protocol between charon and the `ipsec` command (the role of strongSwan's
// stroke socket), the [Backend] interface the daemon implements for it, the
// plain [Status] data and the renderers that print it exactly as strongSwan
// 5.9.8's `ipsec status`, `ipsec statusall` and `ipsec leases` do.
//
// # Socket
//
// The daemon listens on /var/run/charon.ctl ([DefaultSocket]; configurable),
// a Unix stream socket created with mode 0600 and owned by the daemon's user
// (root), so only root can talk to it. [Listen] replaces a stale socket file
// and refuses to start when another daemon answers on it.
//
// # Protocol, version 1
//
// One request per connection. Every frame, in both directions, is one JSON
// object (UTF-8) on one line, terminated by "\n"; JSON never contains a raw
// newline. Unknown object fields are ignored by both sides, so fields can be
// added without a version change; [ProtocolVersion] changes only for
// incompatible changes.
//
// The client sends exactly one request frame, at most 64 KiB
// ([MaxRequestSize]), within 10 seconds of connecting:
//
//	{"v":1,"cmd":"up","name":"home"}
//
// Request fields ([Request]):
//
//	v          protocol version, 1 (required)
//	cmd        command, see below (required)
//	name       connection name (up, status, statusall) or SA specifier (down)
//	pool       leases: pool name filter
//	address    leases: address filter
//	sections   list: "certs", "cacerts", "crls" and/or "all"
//	utc        list: print times in UTC
//	verbosity  up/down: highest log level to stream (default 1, -1 for none)
//	text       status/statusall/leases: also send the rendered text
//
// After the request the client only reads. It must not shut down its
// sending side: the server takes EOF as the client going away and cancels
// the command (an `ipsec up` interrupted with ^C stops waiting; like charon,
// the exchange itself may continue). Sending anything after the request is
// a protocol error.
//
// The server answers with any number of log and output frames, then exactly
// one result frame, and closes the connection:
//
//	{"type":"log","level":1,"msg":"initiating IKE_SA home[1] to 192.168.0.1"}
//	{"type":"output","text":"connection 'home' established successfully\n"}
//	{"type":"result","ok":true}
//
//	{"type":"result","ok":false,"code":"bad-request","error":"unknown command \"upp\""}
//
// Frames ([Frame]):
//
//	log     level (0-4, omitted when 0) and msg: one daemon log line, without
//	        the "NN[GRP] " prefix, to show the user while the command runs.
//	        Lines the client does not read in time are dropped and counted.
//	output  text: text to print as is; it carries its own newlines. These are
//	        the lines stroke prints itself ("connection 'home' established
//	        successfully", "IKE_SA [2] closed successfully", certificate lists).
//	result  ok; on failure code and, unless the output already told the
//	        user, error; data: the command's structured answer.
//
// A client shows log msgs followed by a newline and output text verbatim, in
// the order received, on standard output; that reproduces stroke's output.
// Server frames are at most 64 MiB ([MaxFrameSize]).
//
// Result codes: bad-request (malformed or oversized request, unknown command,
// bad arguments; the connection is closed after the answer), version
// (unsupported "v"), not-found, failed, timeout (the daemon stopped waiting,
// the operation goes on), unsupported, busy (too many clients), canceled,
// internal.
//
// Commands:
//
//	ping           data: {"protocol":1,"software":"goswan ...","pid":N}
//	up NAME        logs, then "connection 'NAME' established successfully" /
//	               "establishing connection 'NAME' failed" / "no config named
//	               'NAME'"; ok only on success
//	down SPEC      SPEC is NAME, NAME[N], NAME{N}, NAME[*], NAME{*}, NAME[],
//	               NAME{} (see [ParseTarget]); logs, then per SA "IKE_SA [N]
//	               closed successfully" / "closing CHILD_SA {N} failed"
//	status         data: [Status] (SAs); with text, the `ipsec status` text
//	statusall      data: [Status] (everything); with text, the statusall text
//	conns          data: ["name", ...], the loaded connection names
//	reload         reread ipsec.conf; error carries what went wrong
//	rereadsecrets  reread ipsec.secrets
//	rereadall      reread secrets, certificates, CRLs
//	list           output: the text of `ipsec listcerts` (sections
//	               ["certs"]), listcacerts, listcrls, listall ("all")
//	leases         data: [Leases]; with text, the `ipsec leases` text
//	stop           ok, then the daemon shuts down; the client waits for the
//	               process to exit (its pid file names it)
//
// Time values in data are RFC 3339 strings; addresses are strings.
//
// # Rendering
//
// [WriteStatus] and [WriteLeases] render the data byte for byte as
// strongSwan 5.9.8's stroke plugin does (testdata holds real captures and
// the golden tests compare against them), relative to [Status].Now so the
// output does not depend on when it is rendered.
//
// This package imports only the standard library and internal/version; in
// particular not internal/ike/...: the daemon adapts its state to these
// types.
package control
