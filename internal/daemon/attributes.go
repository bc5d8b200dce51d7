package daemon

import (
	"strings"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/log"
	"github.com/goswan/goswan/internal/pool/attrconf"
	"github.com/goswan/goswan/internal/pool/dhcp"
	"github.com/goswan/goswan/internal/pool/farp"
	"github.com/goswan/goswan/internal/pool/mem"
	resolvconf "github.com/goswan/goswan/internal/pool/resolve"
	sqlpool "github.com/goswan/goswan/internal/pool/sql"
)

// attributes are the configuration payload providers and handlers, in
// charon's plugin order: stroke's in-memory pools, attr-sql, the attr
// plugin's strongswan.conf attributes; resolve for DNS servers we get.
type attributes struct {
	mgr  *attr.Manager
	mem  *mem.Pools
	conf *attrconf.Provider
	sql  *sqlpool.Provider
	dhcp *dhcp.Provider
	farp *farp.Proxy
}

// pluginEnabled says whether the plugin name is loaded, as charon
// decides: charon.load lists the plugins if set, else each plugin's
// charon.plugins.NAME.load (on by default for those strongSwan's
// packages enable).
func pluginEnabled(settings *config.Settings, name string, byDefault bool) bool {
	if load := settings.GetString("charon.load", ""); load != "" {
		for _, p := range strings.Fields(load) {
			if p == name || p == name+"!" {
				return true
			}
		}
		return false
	}
	return settings.GetBool("charon.plugins."+name+".load", byDefault)
}

// setupAttributes registers the attribute handlers and providers.
func (d *Daemon) setupAttributes(settings *config.Settings) {
	a := &d.attrs
	a.mgr = &attr.Manager{}
	a.mem = mem.NewPools(d.log)
	a.mgr.AddProvider(a.mem)
	// attr-sql: loaded when listed, or by default once a database is set
	_, haveDB := sqlpool.URI(settings, "charon")
	if pluginEnabled(settings, "attr-sql", haveDB) {
		if p, err := sqlpool.Load(settings, "charon", d.log); err == nil {
			a.sql = p
			a.mgr.AddProvider(p)
		} else {
			d.logf(log.CFG, 1, "plugin 'attr-sql' failed to load: %v", err)
		}
	}
	// dhcp binds the DHCP client port: only when asked for (charon.load,
	// charon.plugins.dhcp.load) or a conn names the pool %dhcp (see
	// ensureDHCP)
	if pluginEnabled(settings, "dhcp", false) {
		d.ensureDHCP(settings)
	}
	if pluginEnabled(settings, "attr", true) {
		a.conf = attrconf.New(settings, "charon", d.log)
		a.mgr.AddProvider(a.conf)
	}
	if pluginEnabled(settings, "resolve", true) {
		a.mgr.AddHandler(resolvconf.New(resolvconf.Options{
			File:        settings.GetString("charon.plugins.resolve.file", resolvconf.DefaultFile),
			IfacePrefix: settings.GetString("charon.plugins.resolve.resolvconf.iface_prefix", resolvconf.DefaultIfacePrefix),
			Log:         d.log,
		}))
	}
}

// ensureDHCP starts the DHCP provider if it does not run yet.
func (d *Daemon) ensureDHCP(settings *config.Settings) {
	a := &d.attrs
	if a.dhcp != nil {
		return
	}
	p, err := dhcp.New(settings, d.log)
	if err != nil {
		d.logf(log.CFG, 1, "plugin 'dhcp' failed to load: %v", err)
		return
	}
	a.dhcp = p
	a.mgr.AddProvider(p)
}

// setupFarp starts the ARP proxy for virtual IPs (strongSwan's packages
// load the farp plugin by default).
func (d *Daemon) setupFarp(settings *config.Settings, bus *sa.Bus) {
	if !pluginEnabled(settings, "farp", true) {
		return
	}
	p, err := farp.New(d.log)
	if err != nil {
		d.logf(log.CFG, 1, "plugin 'farp' failed to load: %v", err)
		return
	}
	d.attrs.farp = p
	bus.Subscribe(p)
}

// reload updates the in-memory pools after ipsec reload (the new conns
// already added theirs while loading): removed conns lose their DNS
// servers, pools no conn names any more go once their leases are offline;
// the attr plugin rereads strongswan.conf.
func (a *attributes) reload(settings *config.Settings, old, cur *cfg.Config) {
	var names []string
	for _, p := range cur.Peers {
		names = append(names, p.Pools...)
	}
	for _, p := range old.Peers {
		if cur.Peer(p.Name) == nil {
			a.mem.DelConn(p.Name)
		}
	}
	a.mem.Retain(names)
	if a.conf != nil {
		a.conf.Reload(settings)
	}
}

func (a *attributes) close() {
	if a.sql != nil {
		a.sql.Close()
	}
	if a.dhcp != nil {
		a.mgr.RemoveProvider(a.dhcp)
		a.dhcp.Close()
	}
	if a.farp != nil {
		a.farp.Close()
	}
}
