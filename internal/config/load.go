package config

import (
	"path/filepath"
	"strings"
)

// Options says where Load finds the configuration.
type Options struct {
	// ConfDir holds ipsec.conf and ipsec.secrets; default /etc.
	ConfDir string
	// IPsecConf overrides ConfDir/ipsec.conf.
	IPsecConf string
	// IPsecSecrets overrides the secrets file, which is otherwise
	// <daemon>.plugins.stroke.secrets_file from strongswan.conf or, if
	// that is unset, ConfDir/ipsec.secrets (as in the stroke plugin).
	IPsecSecrets string
	// IPsecDir holds cacerts/, certs/, private/, crls/; default
	// ConfDir/ipsec.d.
	IPsecDir string
	// StrongswanConf is the strongswan.conf path; default
	// StrongswanConfPath() ($STRONGSWAN_CONF or /etc/strongswan.conf).
	StrongswanConf string
	// Daemon is the strongswan.conf namespace of the daemon whose
	// fallbacks are installed (see Settings.WithDaemonFallbacks); default
	// "charon".
	Daemon string
	// FS is the file system to read from; nil for the real one.
	FS FS
}

func (o Options) withDefaults() Options {
	if o.ConfDir == "" {
		o.ConfDir = "/etc"
	}
	if o.IPsecConf == "" {
		o.IPsecConf = filepath.Join(o.ConfDir, "ipsec.conf")
	}
	if o.IPsecDir == "" {
		o.IPsecDir = filepath.Join(o.ConfDir, "ipsec.d")
	}
	if o.StrongswanConf == "" {
		o.StrongswanConf = StrongswanConfPath()
	}
	if o.Daemon == "" {
		o.Daemon = "charon"
	}
	return o
}

// Directories below IPsecDir, as strongSwan names them.
const (
	CACertsDir = "cacerts"
	CertsDir   = "certs"
	PrivateDir = "private"
	CRLsDir    = "crls"
)

// Config is everything Load read.
type Config struct {
	// Options are the options used, with defaults filled in.
	Options   Options
	IPsecConf *IPsecConf
	Secrets   *Secrets
	// Settings has the daemon's fallbacks installed.
	Settings *Settings
}

// Load reads ipsec.conf, ipsec.secrets and strongswan.conf and checks them
// against each other and the files in ipsec.d. It always returns a Config
// (possibly with empty parts) and all diagnostics found.
func Load(opts Options) (*Config, []Diagnostic) {
	opts = opts.withDefaults()
	fsys := orOS(opts.FS)
	var d diags
	cfg := &Config{Options: opts}

	settings, ds := LoadSettings(fsys, opts.StrongswanConf)
	d.merge(ds)
	cfg.Settings = settings.WithDaemonFallbacks(opts.Daemon)
	if opts.IPsecSecrets == "" {
		opts.IPsecSecrets = cfg.Settings.GetString(opts.Daemon+".plugins.stroke.secrets_file",
			filepath.Join(opts.ConfDir, "ipsec.secrets"))
		cfg.Options = opts
	}

	conf, ds := LoadIPsecConf(fsys, opts.IPsecConf)
	d.merge(ds)
	cfg.IPsecConf = conf

	secrets, ds := LoadSecrets(fsys, opts.IPsecSecrets, filepath.Join(opts.IPsecDir, PrivateDir))
	d.merge(ds)
	cfg.Secrets = secrets

	cfg.check(fsys, &d)
	return cfg, d.sorted()
}

// check reports what charon would log when loading the configuration.
func (cfg *Config) check(fsys FS, d *diags) {
	conf := cfg.IPsecConf
	certsDir := filepath.Join(cfg.Options.IPsecDir, CertsDir)
	for _, c := range conf.Conns {
		if c.Invalid || c.Auto == AutoIgnore {
			continue
		}
		for _, side := range [...]string{"left", "right"} {
			e := &c.Left
			if side == "right" {
				e = &c.Right
			}
			for _, kc := range []struct {
				kw    string
				certs []string
			}{{side + "cert", e.Certs}, {side + "cert2", e.Certs2}} {
				kw := kc.kw
				for _, cert := range kc.certs {
					if strings.HasPrefix(cert, "%smartcard") {
						if _, ok := parseSmartcard(cert); !ok {
							pos, _ := c.Origin(kw)
							d.errorf(pos, "%s=%s: the given %%smartcard specifier is not supported or invalid", kw, cert)
						}
						continue
					}
					if !fileExists(fsys, resolveIn(certsDir, cert)) {
						pos, _ := c.Origin(kw)
						d.warnf(pos, "loading certificate from '%s' failed: %s not found", cert, resolveIn(certsDir, cert))
					}
				}
			}
			if key := sigKeyFile(e.SigKey); key != "" && !fileExists(fsys, resolveIn(certsDir, key)) {
				pos, _ := c.Origin(side + "sigkey")
				d.warnf(pos, "loading public key from '%s' failed: %s not found", key, resolveIn(certsDir, key))
			}
		}
		if len(c.Left.SourceIPs) > 0 && len(c.Right.SourceIPs) > 0 {
			pos, _ := c.Origin("leftsourceip")
			d.warnf(pos, "'%s' has both left- and rightsourceip, but IKE can negotiate one virtual IP only, ignoring local virtual IP", c.Name)
		}
		if c.AH != "" && c.ESP != "" {
			pos, _ := c.Origin("esp")
			d.warnf(pos, "conn '%s' has both ah= and esp=: AH+ESP bundles are not supported, esp= is ignored", c.Name)
		}
		if c.Mediation && c.MediatedBy != "" {
			pos, _ := c.Origin("mediated_by")
			d.errorf(pos, "a mediation connection cannot be a mediated connection at the same time ('%s')", c.Name)
		} else if c.MediatedBy != "" {
			if m := conf.Conn(c.MediatedBy); m == nil || !m.Mediation {
				pos, _ := c.Origin("mediated_by")
				d.warnf(pos, "mediation connection '%s' not found (it needs mediation=yes)", c.MediatedBy)
			}
		}
		cfg.checkPools(c, d)
	}
	caDir := filepath.Join(cfg.Options.IPsecDir, CACertsDir)
	for _, ca := range conf.CAs {
		if ca.Invalid || ca.Auto == AutoIgnore {
			continue
		}
		switch {
		case ca.CACert == "":
			d.errorf(ca.Pos, "ca '%s': missing cacert parameter", ca.Name)
		case strings.HasPrefix(ca.CACert, "%smartcard"):
		case !fileExists(fsys, resolveIn(caDir, ca.CACert)):
			pos, _ := ca.Origin("cacert")
			d.warnf(pos, "loading CA certificate from '%s' failed: %s not found", ca.CACert, resolveIn(caDir, ca.CACert))
		}
	}
	for _, e := range cfg.Secrets.Entries {
		if e.Type.IsKeyFile() && !fileExists(fsys, e.Path) {
			what := "private key"
			if e.Type == SecretP12 {
				what = "credentials"
			}
			d.warnf(e.Pos, "loading %s from '%s' failed: file not found", what, e.Path)
		}
	}
}

// checkPools warns about named pools (rightsourceip=%name) that neither a
// conn of ipsec.conf defines (stroke names the in-memory pool of
// rightsourceip=CIDR|range after its conn, and other conns share it by
// that name) nor an SQL pool database can serve; %dhcp and %radius are
// served by other plugins.
func (cfg *Config) checkPools(c *Conn, d *diags) {
	ns := cfg.Options.Daemon
	for _, side := range [...]string{"left", "right"} {
		e := &c.Left
		if side == "right" {
			e = &c.Right
		}
		for _, sip := range e.SourceIPs {
			if sip.Kind != SourceIPPool || sip.Pool == "dhcp" || sip.Pool == "radius" || cfg.definesPool(sip.Pool) {
				continue
			}
			if _, ok := cfg.Settings.Get(ns + ".plugins.attr-sql.database"); !ok {
				pos, _ := c.Origin(side + "sourceip")
				d.warnf(pos, "%ssourceip=%s names an external pool, but %s.plugins.attr-sql.database is not set in %s",
					side, sip.Raw, ns, cfg.Options.StrongswanConf)
			}
		}
	}
}

// definesPool reports whether a conn named name has an in-memory pool
// (a CIDR, range or single address in leftsourceip or rightsourceip).
func (cfg *Config) definesPool(name string) bool {
	if cfg.IPsecConf == nil {
		return false
	}
	for _, c := range cfg.IPsecConf.Conns {
		if c.Name != name {
			continue
		}
		for _, e := range [...]*End{&c.Left, &c.Right} {
			for _, sip := range e.SourceIPs {
				switch sip.Kind {
				case SourceIPAddr, SourceIPPrefix, SourceIPRange:
					return true
				}
			}
		}
	}
	return false
}

// sigKeyFile returns the file name in leftsigkey=, or "" for inline keys
// and the special values.
func sigKeyFile(v string) string {
	if v == "" || v == "%cert" || v == "%dns" {
		return ""
	}
	rest := v
	if len(rest) >= 4 && (strings.EqualFold(rest[:4], "dns:") || strings.EqualFold(rest[:4], "ssh:")) {
		rest = rest[4:]
	}
	if len(rest) >= 2 && (strings.EqualFold(rest[:2], "0x") || strings.EqualFold(rest[:2], "0s")) {
		return ""
	}
	return rest
}

func resolveIn(dir, name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return dir + "/" + name
}

func fileExists(fsys FS, name string) bool {
	st, err := fsys.Stat(name)
	return err == nil && !st.IsDir()
}
