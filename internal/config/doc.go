// Package config reads the three configuration files of a strongSwan 5.9
// gateway exactly as strongSwan's starter, stroke plugin and libstrongswan
// settings parser read them, so an admin can copy /etc/ipsec.conf,
// /etc/ipsec.secrets, /etc/strongswan.conf and /etc/ipsec.d over unchanged:
//
//   - ipsec.conf: `config setup`, `conn`, `ca` sections, `%default`, `also=`,
//     `include`; parsed into raw [Section]s (for `ipsec configtest` dumps) and
//     resolved into [Conn], [CA] and [Setup] values with strongSwan's defaults
//     applied (see [ParseIPsecConf]);
//   - ipsec.secrets: PSK/EAP/XAUTH/NTLM secrets and RSA/ECDSA/BLISS/PKCS8/P12
//     key and PIN references (see [ParseSecrets]); key files are not read here;
//   - strongswan.conf: the hierarchical settings with includes, section
//     references and the fallbacks charon installs, e.g. the legacy
//     `libhydra.plugins.attr-sql` section (see [ParseSettings], [Settings]).
//
// [Load] reads all three and runs the cross-file checks charon would log;
// [Dump] renders the result for `ipsec configtest -v`.
//
// Every problem is a [Diagnostic] carrying the file and line it comes from;
// parsers keep going after an error so one run reports all of them. Warnings
// (obsolete keywords, things charon only logs) have [SeverityWarning].
// Where starter ignores a conn or refuses the whole file, [Conn].Invalid and
// [IPsecConf].Invalid say so; [Settings].Invalid marks a strongswan.conf
// libstrongswan would refuse.
//
// Deliberate differences from strongSwan 5.9 (a configuration strongSwan
// accepts and uses as intended is accepted here too):
//   - unknown ipsec.conf keywords are errors (starter counts them as
//     non-fatal and still loads the conn, and so does Conn.Invalid);
//   - what charon only logs and skips (bad leftsubnet/leftsourceip/leftdns
//     entries, malformed hosts) is an error, the conn stays valid without the
//     entry; out-of-range numbers (ports > 65535, 32-bit fields, overflow)
//     and negative durations or percentages are errors where strongSwan
//     silently truncates or wraps (negative integers wrap with a warning);
//   - CRLF line ends are accepted with a warning (starter takes the \r into
//     values);
//   - includes nest at most 10 levels and read at most 1000 files / 64 MiB
//     (strongSwan recurses until it crashes); strongswan.conf section
//     references that loop are cut off instead of overflowing the stack;
//   - invalid hex or base64 characters in secrets are errors.
//
// The values returned are never modified after parsing and may be shared
// between goroutines; callers must treat them as read-only.
//
// This package imports only the standard library; in particular it must not
// import any other package of this project.
package config
