package config

import (
	"bytes"
	"strconv"
	"strings"
)

// SecretType is the token after the ':' of an ipsec.secrets entry.
type SecretType uint8

const (
	SecretPSK   SecretType = iota + 1 // pre-shared key (IKE)
	SecretEAP                         // EAP password
	SecretXAUTH                       // XAuth password (stored as an EAP secret, like stroke)
	SecretNTLM                        // NT hash source for EAP-MSCHAPv2
	SecretRSA                         // RSA private key file
	SecretECDSA                       // ECDSA private key file
	SecretBLISS                       // BLISS private key file
	SecretPKCS8                       // private key file of any type
	SecretP12                         // PKCS#12 container
	SecretPIN                         // smartcard PIN
)

var secretTypeNames = map[SecretType]string{
	SecretPSK: "PSK", SecretEAP: "EAP", SecretXAUTH: "XAUTH", SecretNTLM: "NTLM",
	SecretRSA: "RSA", SecretECDSA: "ECDSA", SecretBLISS: "BLISS", SecretPKCS8: "PKCS8",
	SecretP12: "P12", SecretPIN: "PIN",
}

func (t SecretType) String() string {
	if n, ok := secretTypeNames[t]; ok {
		return n
	}
	return "secret(" + strconv.Itoa(int(t)) + ")"
}

// IsShared reports whether the entry carries a secret value (PSK, EAP,
// XAUTH, NTLM) rather than a key file or smartcard reference.
func (t SecretType) IsShared() bool {
	return t == SecretPSK || t == SecretEAP || t == SecretXAUTH || t == SecretNTLM
}

// IsKeyFile reports whether the entry names a private key or PKCS#12 file.
func (t SecretType) IsKeyFile() bool {
	return t == SecretRSA || t == SecretECDSA || t == SecretBLISS || t == SecretPKCS8 || t == SecretP12
}

// Smartcard is a parsed %smartcard[<slot>[@<module>]]:<keyid> specifier.
type Smartcard struct {
	HasSlot bool
	Slot    uint32
	Module  string
	KeyID   string // hex
}

// SecretEntry is one entry of ipsec.secrets.
type SecretEntry struct {
	Pos  Pos
	Type SecretType
	// Selectors are the IDs before the ':' as written (quotes removed);
	// empty means the entry applies to any ID.
	Selectors []string
	// Secret is the decoded secret of a shared entry: the text of a quoted
	// value, the bytes of 0x hex or 0s base64, else the text.
	Secret []byte
	// File is the key file as written; Path is it resolved against the
	// private key directory unless absolute.
	File string
	Path string
	// Passphrases are the optional passphrases of a key file (a second one
	// is the MAC password of a PKCS#12 file), or the PIN of a smartcard.
	Passphrases [][]byte
	// Prompt is set for %prompt: ask for the passphrase or PIN.
	Prompt bool
	// Card is the smartcard of a PIN entry.
	Card Smartcard
}

// Secrets is a parsed ipsec.secrets with its includes.
type Secrets struct {
	File string
	// Entries in the order read; an include contributes its entries at
	// the include line. Entries after an error in the same file are left
	// out, as stroke stops reading a file at its first error.
	Entries []SecretEntry
}

// maxSecretsRecursion is stroke's MAX_SECRETS_RECURSION.
const maxSecretsRecursion = 10

// LoadSecrets reads and parses an ipsec.secrets file. Relative key file
// names are resolved against privateDir (normally /etc/ipsec.d/private).
// fsys may be nil for the real file system.
func LoadSecrets(fsys FS, path, privateDir string) (*Secrets, []Diagnostic) {
	fsys = orOS(fsys)
	var d diags
	sec := &Secrets{File: path}
	data, err := readConfigFile(fsys, path)
	if err != nil {
		// charon logs this and goes on without secrets
		d.warnf(Pos{File: path}, "opening secrets file '%s' failed: %s", path, errText(err))
		return sec, d.sorted()
	}
	sp := secretsParser{inc: &includer{fsys: fsys, d: &d}, d: &d, privateDir: privateDir, out: sec}
	sp.parseFile(path, data, 0)
	return sec, d.sorted()
}

// ParseSecrets parses src as the contents of the ipsec.secrets at path;
// includes are read from fsys (nil for the real file system).
func ParseSecrets(fsys FS, path string, src []byte, privateDir string) (*Secrets, []Diagnostic) {
	var d diags
	sec := &Secrets{File: path}
	sp := secretsParser{inc: &includer{fsys: orOS(fsys), d: &d}, d: &d, privateDir: privateDir, out: sec}
	sp.parseFile(path, src, 0)
	return sec, d.sorted()
}

type secretsParser struct {
	inc        *includer
	d          *diags
	privateDir string
	out        *Secrets
}

// parseFile follows stroke_cred.c's load_secrets(): one entry per line (no
// continuation lines), "include PATTERN", "[selectors] : TYPE value".
func (sp *secretsParser) parseFile(name string, src []byte, level int) {
	stopped := false
	lineNo := 0
	for len(src) > 0 {
		var raw []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			raw, src = src[:i], src[i+1:]
		} else {
			raw, src = src, nil
		}
		lineNo++
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		pos := Pos{File: name, Line: lineNo}
		line := strings.TrimLeft(string(raw), " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		if len(line) > len("include ") && strings.HasPrefix(line, "include ") {
			if stopped {
				continue
			}
			sp.include(pos, name, line[len("include "):], level)
			continue
		}
		e, msg := sp.parseEntry(pos, line)
		if msg != "" {
			sp.d.errorf(pos, "%s", msg)
			if !stopped {
				sp.d.warnf(pos, "strongSwan stops reading '%s' at this error; later entries of this file are ignored", name)
			}
			stopped = true
			continue
		}
		if !stopped {
			sp.out.Entries = append(sp.out.Entries, e)
		}
	}
}

func (sp *secretsParser) include(pos Pos, current, rest string, level int) {
	pattern := rest
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		pattern = rest[:i]
	}
	if level >= maxSecretsRecursion {
		sp.d.warnf(pos, "maximum level of %d includes reached, ignored", maxSecretsRecursion)
		return
	}
	if pattern == "" {
		sp.d.warnf(pos, "no include pattern specified, ignored")
		return
	}
	full := includePattern(current, pattern)
	matches, err := globFiles(sp.inc.fsys, full)
	if err != nil || len(matches) == 0 {
		sp.d.warnf(pos, "expanding file expression '%s' failed (no matching files)", full)
		return
	}
	for _, m := range matches {
		if data, ok := sp.inc.read(pos, m); ok {
			sp.parseFile(m, data, level+1)
		}
	}
}

func (sp *secretsParser) parseEntry(pos Pos, line string) (SecretEntry, string) {
	e := SecretEntry{Pos: pos}
	var ids string
	if len(line) > 2 && strings.HasPrefix(line, ": ") {
		line = line[1:]
	} else if i := strings.Index(line, " : "); i >= 0 {
		ids, line = line[:i], line[i+3:]
	} else {
		return e, "missing ' : ' separator (a ':' surrounded by spaces, or ': ' at the start of the line)"
	}
	rest, ok := eatWhitespace(line)
	if !ok {
		return e, "missing token after ':' (expected RSA, ECDSA, BLISS, PKCS8, P12, PIN, PSK, EAP, XAUTH or NTLM)"
	}
	tok, rest, ok := extractToken(rest, ' ')
	if !ok {
		return e, "missing token after ':' (expected RSA, ECDSA, BLISS, PKCS8, P12, PIN, PSK, EAP, XAUTH or NTLM followed by a value)"
	}
	switch tok {
	case "RSA":
		e.Type = SecretRSA
	case "ECDSA":
		e.Type = SecretECDSA
	case "BLISS":
		e.Type = SecretBLISS
	case "PKCS8":
		e.Type = SecretPKCS8
	case "P12":
		e.Type = SecretP12
	case "PIN":
		e.Type = SecretPIN
	case "PSK":
		e.Type = SecretPSK
	case "EAP":
		e.Type = SecretEAP
	case "NTLM":
		e.Type = SecretNTLM
	case "XAUTH":
		e.Type = SecretXAUTH
	default:
		return e, "token must be either RSA, ECDSA, BLISS, PKCS8, P12, PIN, PSK, EAP, XAUTH or NTLM, not '" + tok + "'"
	}
	var msg string
	switch {
	case e.Type.IsKeyFile():
		msg = sp.keyFile(&e, rest)
	case e.Type == SecretPIN:
		msg = parsePIN(&e, rest)
	default:
		var warn, after string
		e.Secret, after, warn, msg = extractSecretFull(rest)
		if msg != "" {
			msg = "malformed secret: " + msg
		} else if warn != "" {
			sp.d.warnf(pos, "%s", warn)
		}
		if _, more := eatWhitespace(after); more && msg == "" {
			sp.d.warnf(pos, "text after the secret is ignored (enclose secrets containing blanks in quotes)")
		}
	}
	if msg != "" {
		return e, msg
	}
	if e.Type.IsShared() {
		sels, msg := selectors(ids)
		if msg != "" {
			return e, msg
		}
		e.Selectors = sels
	} else if strings.TrimLeft(ids, " \t") != "" {
		// stroke ignores selectors of key entries: keys are found by
		// their public key, not by ID
		sels, _ := selectors(ids)
		e.Selectors = sels
	}
	return e, ""
}

func (sp *secretsParser) keyFile(e *SecretEntry, line string) string {
	file, rest, msg := extractValue(line)
	if msg != "" {
		return msg
	}
	if file == "" {
		return "empty filename"
	}
	e.File = file
	if strings.HasPrefix(file, "/") || sp.privateDir == "" {
		e.Path = file
	} else {
		e.Path = strings.TrimSuffix(sp.privateDir, "/") + "/" + file
	}
	r, ok := eatWhitespace(rest)
	if !ok {
		return ""
	}
	pass, r, msg := extractSecretRest(r)
	if msg != "" {
		return "malformed passphrase: " + msg
	}
	if string(pass) == "%prompt" {
		e.Prompt = true
		return ""
	}
	e.Passphrases = append(e.Passphrases, pass)
	if r, ok = eatWhitespace(r); ok {
		pass2, after, msg := extractSecretRest(r)
		if msg != "" {
			return "malformed passphrase: " + msg
		}
		e.Passphrases = append(e.Passphrases, pass2)
		if _, more := eatWhitespace(after); more {
			sp.d.warnf(e.Pos, "text after the second passphrase is ignored")
		}
	}
	return ""
}

func parsePIN(e *SecretEntry, line string) string {
	sc, rest, msg := extractValue(line)
	if msg != "" {
		return msg
	}
	if sc == "" {
		return "expected %smartcard specifier"
	}
	card, ok := parseSmartcard(sc)
	if !ok {
		return "the given %smartcard specifier is not supported or invalid"
	}
	e.Card = card
	e.File = sc
	r, ok := eatWhitespace(rest)
	if !ok {
		return "expected PIN"
	}
	pin, _, msg := extractSecretRest(r)
	if msg != "" {
		return "malformed PIN: " + msg
	}
	if string(pin) == "%prompt" {
		e.Prompt = true
	} else {
		e.Passphrases = [][]byte{pin}
	}
	return ""
}

// parseSmartcard parses %smartcard<slot>@<module>:<keyid>,
// %smartcard<slot>:<keyid> or %smartcard:<keyid>.
func parseSmartcard(s string) (Smartcard, bool) {
	var c Smartcard
	rest, ok := strings.CutPrefix(s, "%smartcard")
	if !ok {
		return c, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		v, err := strconv.ParseUint(rest[:i], 10, 32)
		if err != nil {
			return c, false
		}
		c.HasSlot, c.Slot = true, uint32(v)
		rest = rest[i:]
		if mod, ok := strings.CutPrefix(rest, "@"); ok {
			module, keyid, found := strings.Cut(mod, ":")
			if !found || module == "" {
				return c, false
			}
			c.Module, c.KeyID = module, keyid
			return c, true
		}
	}
	keyid, ok := strings.CutPrefix(rest, ":")
	if !ok || keyid == "" {
		return c, false
	}
	c.KeyID = keyid
	return c, true
}

// selectors splits the ID list before the ':' (blank separated, quotes
// with ' or " allowed).
func selectors(ids string) ([]string, string) {
	var out []string
	for {
		var ok bool
		if ids, ok = eatWhitespace(ids); !ok {
			return out, ""
		}
		id, rest, msg := extractValue(ids)
		if msg != "" {
			return out, msg
		}
		ids = rest
		if id != "" {
			out = append(out, id)
		}
	}
}

// eatWhitespace skips blanks; false if nothing but a comment is left.
func eatWhitespace(s string) (string, bool) {
	s = strings.TrimLeft(s, " \t")
	return s, s != "" && s[0] != '#'
}

// extractToken returns the text before the first term (a blank or tab for
// ' '); false if there is none.
func extractToken(s string, term byte) (tok, rest string, ok bool) {
	i := strings.IndexByte(s, term)
	if term == ' ' {
		if j := strings.IndexByte(s, '\t'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// extractValue reads a blank-terminated or quoted value.
func extractValue(s string) (val, rest string, errMsg string) {
	s, ok := eatWhitespace(s)
	if !ok {
		return "", s, ""
	}
	delim := byte(' ')
	if s[0] == '"' || s[0] == '\'' {
		delim = s[0]
		s = s[1:]
	}
	val, rest, ok = extractToken(s, delim)
	if !ok {
		if delim != ' ' {
			return "", "", "missing second delimiter"
		}
		return s, "", ""
	}
	return val, rest, ""
}

func extractSecretRest(s string) (secret []byte, rest, errMsg string) {
	secret, rest, _, errMsg = extractSecretFull(s)
	return secret, rest, errMsg
}

// extractSecretFull decodes a secret value: quoted text, 0x hex, 0s base64
// or plain text; warn is set for input strongSwan decodes leniently.
func extractSecretFull(s string) (secret []byte, rest, warn, errMsg string) {
	s, ok := eatWhitespace(s)
	if !ok {
		return nil, "", "", "missing secret"
	}
	delim := byte(' ')
	quoted := false
	if s[0] == '"' || s[0] == '\'' {
		quoted, delim = true, s[0]
		s = s[1:]
	}
	raw, rest, ok := extractToken(s, delim)
	if !ok {
		if quoted {
			return nil, "", "", "missing second delimiter"
		}
		raw, rest = s, ""
	}
	if quoted {
		return []byte(raw), rest, "", ""
	}
	if len(raw) > 2 {
		switch strings.ToLower(raw[:2]) {
		case "0x":
			b, msg := decodeHexSecret(raw[2:])
			return b, rest, "", msg
		case "0s":
			b, w, msg := decodeBase64Secret(raw[2:])
			return b, rest, w, msg
		}
	}
	return []byte(raw), rest, "", ""
}

// decodeHexSecret decodes like strongSwan's chunk_from_hex: ':' separators
// are skipped and an odd number of digits gets a leading zero.
func decodeHexSecret(h string) ([]byte, string) {
	h = strings.TrimPrefix(h, "0x")
	h = strings.ReplaceAll(h, ":", "")
	if len(h)%2 == 1 {
		h = "0" + h
	}
	out := make([]byte, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		hi, lo := digitVal(h[i]), digitVal(h[i+1])
		if hi > 15 || lo > 15 {
			return nil, "invalid hex digit in 0x secret"
		}
		out[i/2] = byte(hi<<4 | lo)
	}
	return out, ""
}

func b64Val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	case c == '=':
		return 0
	}
	return -1
}

// decodeBase64Secret decodes like strongSwan's chunk_from_base64, which
// reads whole groups of four characters only (and both the standard and the
// URL alphabet).
func decodeBase64Secret(s string) ([]byte, string, string) {
	warn := ""
	if r := len(s) % 4; r != 0 {
		warn = "0s (base64) secret length is not a multiple of 4: the last " +
			strconv.Itoa(r) + " characters are ignored (as strongSwan does)"
		s = s[:len(s)-r]
	}
	out := make([]byte, 0, len(s)/4*3)
	outlen := 0
	for i := 0; i < len(s); i += 4 {
		outlen += 3
		var v [4]int
		for j := 0; j < 4; j++ {
			c := s[i+j]
			if c == '=' && outlen > 0 {
				outlen--
			}
			if v[j] = b64Val(c); v[j] < 0 {
				return nil, "", "invalid character in 0s (base64) secret"
			}
		}
		out = append(out, byte(v[0]<<2|v[1]>>4), byte(v[1]<<4|v[2]>>2), byte(v[2]<<6|v[3]))
	}
	return out[:outlen], warn, ""
}
