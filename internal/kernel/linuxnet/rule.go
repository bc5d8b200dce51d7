package linuxnet

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// EnsureRoutingRule installs the rule that makes the kernel consult the
// IPsec routing table, for IPv4 and IPv6, as charon does at start:
//
//	220:	from all lookup 220
//	220:	not from all fwmark 0x42 lookup 220      (fwmark = !0x42)
//
// A rule that already exists is taken over. The rules are removed by
// Close. With Options.Table 0 there is no rule to install. Errors are
// reported per family; the other family's rule is installed regardless.
func (n *Net) EnsureRoutingRule() error {
	if n.opts.Table == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("closed")
	}
	var errs []error
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		r := n.rule(fam)
		if n.hasRule(r) {
			continue
		}
		err := n.h.RuleAdd(r)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			name := "IPv4"
			if fam == unix.AF_INET6 {
				name = "IPv6"
			}
			n.logf(1, "unable to create %s routing table rule", name)
			errs = append(errs, fmt.Errorf("unable to create %s routing table rule: %w", name, err))
			continue
		}
		n.rules = append(n.rules, *r)
	}
	return errors.Join(errs...)
}

// rule returns the routing rule for a family.
func (n *Net) rule(fam int) *netlink.Rule {
	r := netlink.NewRule()
	r.Family = fam
	r.Table = int(n.opts.Table)
	prio := n.opts.RulePriority
	if prio == 0 {
		prio = DefaultRulePriority
	}
	r.Priority = int(prio)
	if n.mark.set {
		mask := n.mark.mask
		r.Mark, r.Mask, r.Invert = n.mark.value, &mask, n.mark.invert
	}
	return r
}

// hasRule: EnsureRoutingRule already installed this rule; n.mu held.
func (n *Net) hasRule(r *netlink.Rule) bool {
	for _, o := range n.rules {
		if o.Family == r.Family {
			return true
		}
	}
	return false
}
