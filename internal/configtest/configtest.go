// Package configtest checks a whole configuration as the daemon would on
// start-up, without starting it: the three files (internal/config), the
// proposal strings of every conn (internal/ike/crypto), and every private
// key, certificate and CRL they refer to or that lies in ipsec.d
// (internal/credentials). It backs `ipsec configtest` and
// `charon --configtest`.
package configtest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/ike/crypto"
)

// Result is what Check found.
type Result struct {
	Config      *config.Config
	Diagnostics []config.Diagnostic
	// Conns, Secrets, Keys, Certs count what was checked.
	Conns, Secrets, Keys, Certs int
}

// Errors and Warnings count the diagnostics by severity.
func (r *Result) Errors() int   { return len(config.Filter(r.Diagnostics, config.SeverityError)) }
func (r *Result) Warnings() int { return len(r.Diagnostics) - r.Errors() }

// Check loads the configuration and checks everything it refers to.
func Check(opts config.Options) *Result {
	cfg, ds := config.Load(opts)
	r := &Result{Config: cfg, Diagnostics: ds}
	if cfg.IPsecConf != nil {
		for _, c := range cfg.IPsecConf.Conns {
			r.Conns++
			r.checkProposals(c)
			r.checkCerts(c)
		}
	}
	r.checkKeys()
	r.checkDir(config.CACertsDir, "CA certificate", func(p string) error {
		_, err := credentials.LoadCertificate(p)
		return err
	})
	r.checkDir(config.CRLsDir, "CRL", func(p string) error {
		_, err := credentials.LoadCRL(p)
		return err
	})
	sort.SliceStable(r.Diagnostics, func(i, j int) bool {
		a, b := r.Diagnostics[i], r.Diagnostics[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return r
}

func (r *Result) add(pos config.Pos, sev config.Severity, format string, args ...any) {
	r.Diagnostics = append(r.Diagnostics, config.Diagnostic{
		File: pos.File, Line: pos.Line, Severity: sev, Msg: fmt.Sprintf(format, args...),
	})
}

func (r *Result) checkProposals(c *config.Conn) {
	for _, p := range []struct {
		keyword string
		value   string
		proto   crypto.Protocol
	}{{"ike", c.IKE, crypto.ProtoIKE}, {"esp", c.ESP, crypto.ProtoESP}, {"ah", c.AH, crypto.ProtoAH}} {
		if p.value == "" {
			continue
		}
		if _, err := crypto.ParseProposals(p.proto, p.value); err != nil {
			pos, _ := c.Origin(p.keyword)
			r.add(pos, config.SeverityError, "conn %s: %s=%s: %v", c.Name, p.keyword, p.value, err)
		}
	}
}

func (r *Result) checkCerts(c *config.Conn) {
	dir := filepath.Join(r.Config.Options.IPsecDir, config.CertsDir)
	for _, e := range []struct {
		keyword string
		certs   []string
	}{{"leftcert", c.Left.Certs}, {"rightcert", c.Right.Certs}, {"leftcert2", c.Left.Certs2}, {"rightcert2", c.Right.Certs2}} {
		for _, f := range e.certs {
			if f == "" || f[0] == '%' {
				continue // %smartcard
			}
			p := f
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if _, err := os.Stat(p); err != nil {
				continue // config.Load already warned
			}
			r.Certs++
			if _, err := credentials.LoadCertificate(p); err != nil {
				pos, _ := c.Origin(e.keyword)
				r.add(pos, config.SeverityError, "conn %s: %s: loading certificate from '%s' failed: %v", c.Name, e.keyword, p, err)
			}
		}
	}
}

func (r *Result) checkKeys() {
	if r.Config.Secrets == nil {
		return
	}
	for _, e := range r.Config.Secrets.Entries {
		r.Secrets++
		if !e.Type.IsKeyFile() || e.Type == config.SecretP12 {
			continue
		}
		if _, err := os.Stat(e.Path); err != nil {
			continue // config.Load already warned
		}
		if e.Prompt {
			r.add(e.Pos, config.SeverityWarning, "private key '%s' needs a passphrase at start-up (%%prompt)", e.Path)
			continue
		}
		r.Keys++
		k, err := credentials.LoadPrivateKey(e.Path, e.Passphrases...)
		switch {
		case errors.Is(err, credentials.ErrPassphrase) && len(e.Passphrases) == 0:
			r.add(e.Pos, config.SeverityError, "loading private key from '%s' failed: it is encrypted and no passphrase is given", e.Path)
		case errors.Is(err, credentials.ErrPassphrase):
			r.add(e.Pos, config.SeverityError, "loading private key from '%s' failed: wrong passphrase", e.Path)
		case err != nil:
			r.add(e.Pos, config.SeverityError, "loading private key from '%s' failed: %v", e.Path, err)
		default:
			if want := e.Type.String(); !keyMatches(want, k) {
				r.add(e.Pos, config.SeverityError, "loading private key from '%s' failed: not an %s key (%T)", e.Path, want, k)
			}
		}
	}
}

func (r *Result) checkDir(sub, what string, load func(string) error) {
	dir := filepath.Join(r.Config.Options.IPsecDir, sub)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, ent := range ents {
		if ent.IsDir() {
			continue
		}
		p := filepath.Join(dir, ent.Name())
		if what == "CA certificate" {
			r.Certs++
		}
		if err := load(p); err != nil {
			r.add(config.Pos{File: p}, config.SeverityError, "loading %s failed: %v", what, err)
		}
	}
}

// Print writes the diagnostics, one per line, and a summary; it returns
// whether the configuration has no errors.
func (r *Result) Print(w io.Writer) bool {
	for _, d := range r.Diagnostics {
		sev := "error"
		if d.Severity != config.SeverityError {
			sev = "warning"
		}
		if d.File == "" {
			fmt.Fprintf(w, "%s: %s\n", sev, d.Msg)
		} else if d.Line == 0 {
			fmt.Fprintf(w, "%s: %s: %s\n", d.File, sev, d.Msg)
		} else {
			fmt.Fprintf(w, "%s:%d: %s: %s\n", d.File, d.Line, sev, d.Msg)
		}
	}
	o := r.Config.Options
	fmt.Fprintf(w, "checked %s, %s, %s: %d conns, %d secrets, %d private keys, %d certificates\n",
		o.IPsecConf, secretsPath(r), o.StrongswanConf, r.Conns, r.Secrets, r.Keys, r.Certs)
	if n := r.Errors(); n > 0 {
		fmt.Fprintf(w, "configuration has %s and %s\n", plural(n, "error"), plural(r.Warnings(), "warning"))
		return false
	}
	fmt.Fprintf(w, "configuration OK (%s)\n", plural(r.Warnings(), "warning"))
	return true
}

func secretsPath(r *Result) string {
	if r.Config.Secrets != nil && r.Config.Secrets.File != "" {
		return r.Config.Secrets.File
	}
	if r.Config.Options.IPsecSecrets != "" {
		return r.Config.Options.IPsecSecrets
	}
	return filepath.Join(r.Config.Options.ConfDir, "ipsec.secrets")
}

// keyMatches reports whether a loaded key fits the ipsec.secrets type: RSA
// entries need RSA keys, ECDSA entries ECDSA keys; PKCS8 takes any.
func keyMatches(typ string, k any) bool {
	switch typ {
	case "RSA":
		_, ok := k.(*rsa.PrivateKey)
		return ok
	case "ECDSA":
		_, ok := k.(*ecdsa.PrivateKey)
		return ok
	}
	return true
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
