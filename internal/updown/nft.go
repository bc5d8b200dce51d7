package updown

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/google/nftables/xt"
)

// filterTable is iptables-nft's table.
const filterTable = "filter"

// installed is a rule we inserted: where it is and the comment it
// carries (a handle alone may name another rule once the table was
// flushed and filled again).
type installed struct {
	rule   *fwRule
	v6     bool
	chain  fwChain
	handle uint64
}

type chainKey struct {
	v6    bool
	chain fwChain
}

// firewall inserts and deletes rules in iptables-nft's filter tables.
type firewall struct {
	netns int

	mu sync.Mutex // serializes our nftables transactions; guards below
	// createdTables and createdChains are what we created because they
	// did not exist; they are deleted again when empty.
	createdTables map[bool]bool
	createdChains map[chainKey]bool
	legacyChecked bool
}

func newFirewall(netns int) *firewall {
	return &firewall{netns: netns, createdTables: map[bool]bool{}, createdChains: map[chainKey]bool{}}
}

func (f *firewall) conn() (*nftables.Conn, error) {
	if f.netns != 0 {
		return nftables.New(nftables.WithNetNSFd(f.netns))
	}
	return nftables.New()
}

func family(v6 bool) nftables.TableFamily {
	if v6 {
		return nftables.TableFamilyIPv6
	}
	return nftables.TableFamilyIPv4
}

func table(v6 bool) *nftables.Table {
	return &nftables.Table{Name: filterTable, Family: family(v6)}
}

func chainRef(v6 bool, c fwChain) *nftables.Chain {
	return &nftables.Chain{Name: string(c), Table: table(v6)}
}

var hooks = map[fwChain]nftables.ChainHook{
	chainInput:   *nftables.ChainHookInput,
	chainForward: *nftables.ChainHookForward,
	chainOutput:  *nftables.ChainHookOutput,
}

// ensureChains creates the filter tables and chains that do not exist,
// as iptables-nft does for "iptables -I": type filter, priority 0, and
// no policy attribute (an existing chain keeps its policy; a new one
// accepts).
func (f *firewall) ensureChains(c *nftables.Conn, keys []chainKey) error {
	for _, v6 := range []bool{false, true} {
		var want []fwChain
		for _, k := range keys {
			if k.v6 == v6 && !contains(want, k.chain) {
				want = append(want, k.chain)
			}
		}
		if len(want) == 0 {
			continue
		}
		tables, err := c.ListTablesOfFamily(family(v6))
		if err != nil {
			return fmt.Errorf("listing tables: %w", err)
		}
		haveTable := false
		for _, t := range tables {
			haveTable = haveTable || t.Name == filterTable
		}
		have := map[string]bool{}
		if haveTable {
			chains, err := c.ListChainsOfTableFamily(family(v6))
			if err != nil {
				return fmt.Errorf("listing chains: %w", err)
			}
			for _, ch := range chains {
				if ch.Table.Name == filterTable {
					have[ch.Name] = true
				}
			}
		} else {
			c.AddTable(table(v6))
		}
		var created []fwChain
		for _, name := range want {
			if have[string(name)] {
				continue
			}
			h := hooks[name]
			c.AddChain(&nftables.Chain{Name: string(name), Table: table(v6), Type: nftables.ChainTypeFilter,
				Hooknum: &h, Priority: nftables.ChainPriorityFilter})
			created = append(created, name)
		}
		if haveTable && len(created) == 0 {
			continue
		}
		if err := c.Flush(); err != nil {
			return fmt.Errorf("creating %s: %w", tableName(v6), err)
		}
		if !haveTable {
			f.createdTables[v6] = true
		}
		for _, name := range created {
			f.createdChains[chainKey{v6, name}] = true
		}
	}
	return nil
}

func contains[T comparable](s []T, v T) bool { return slices.Contains(s, v) }

func tableName(v6 bool) string {
	if v6 {
		return "table ip6 filter"
	}
	return "table ip filter"
}

// insert puts the rules at the head of their chains, in order (the last
// one ends up first, as with "iptables -I CHAIN 1"), in one transaction,
// and returns where they went.
func (f *firewall) insert(rules []*fwRule) ([]installed, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.conn()
	if err != nil {
		return nil, err
	}
	var keys []chainKey
	for _, r := range rules {
		if k := (chainKey{r.V6, r.Chain}); !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if err := f.ensureChains(c, keys); err != nil {
		return nil, err
	}
	// the handles of rules carrying our comments before, to tell ours
	before := map[chainKey]map[uint64]bool{}
	for _, k := range keys {
		before[k] = map[uint64]bool{}
		rs, err := c.GetRules(table(k.v6), chainRef(k.v6, k.chain))
		if err != nil {
			return nil, fmt.Errorf("listing %s chain %s: %w", tableName(k.v6), k.chain, err)
		}
		for _, r := range rs {
			before[k][r.Handle] = true
		}
	}
	for _, r := range rules {
		c.InsertRule(&nftables.Rule{Table: table(r.V6), Chain: chainRef(r.V6, r.Chain),
			Exprs: r.exprs(), UserData: r.userData()})
	}
	if err := c.Flush(); err != nil {
		return nil, fmt.Errorf("inserting rules: %w", err)
	}
	var out []installed
	var errs []error
	for _, k := range keys {
		rs, err := c.GetRules(table(k.v6), chainRef(k.v6, k.chain))
		if err != nil {
			errs = append(errs, fmt.Errorf("listing %s chain %s: %w", tableName(k.v6), k.chain, err))
			continue
		}
		var mine []*fwRule
		for _, r := range rules {
			if r.V6 == k.v6 && r.Chain == k.chain {
				mine = append(mine, r)
			}
		}
		// the new rules with our comment, in chain order: the reverse of
		// the order we inserted them
		var found []*nftables.Rule
		for _, r := range rs {
			if !before[k][r.Handle] && commentOf(r) == mine[0].Comment {
				found = append(found, r)
			}
		}
		if len(found) != len(mine) {
			errs = append(errs, fmt.Errorf("inserted %d rules into %s chain %s, found %d", len(mine), tableName(k.v6), k.chain, len(found)))
		}
		for i, r := range found {
			rule := mine[0]
			if j := len(mine) - 1 - i; j >= 0 {
				rule = mine[j]
			}
			out = append(out, installed{rule: rule, v6: k.v6, chain: k.chain, handle: r.Handle})
		}
	}
	return out, errors.Join(errs...)
}

func commentOf(r *nftables.Rule) string {
	s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return s
}

// commentAt is the comment of the rule with handle ("" if none).
func commentAt(rs []*nftables.Rule, handle uint64) (string, bool) {
	for _, r := range rs {
		if r.Handle == handle {
			return commentOf(r), true
		}
	}
	return "", false
}

// remove deletes the rules that are still there (and still carry their
// comment), all in one transaction (each commit of a deletion waits for
// an RCU grace period, some milliseconds); should that fail because a
// rule vanished meanwhile, one by one.
func (f *firewall) remove(rules []installed) error {
	if len(rules) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.conn()
	if err != nil {
		return err
	}
	lists := map[chainKey][]*nftables.Rule{}
	var errs []error
	var del []*nftables.Rule
	for _, r := range rules {
		k := chainKey{r.v6, r.chain}
		rs, listed := lists[k]
		if !listed {
			rs, err = c.GetRules(table(k.v6), chainRef(k.v6, k.chain))
			if err != nil && !strings.Contains(err.Error(), "no such file") {
				errs = append(errs, fmt.Errorf("listing %s chain %s: %w", tableName(k.v6), k.chain, err))
			}
			lists[k] = rs // nil if the chain is gone, and our rules with it
		}
		if got, ok := commentAt(rs, r.handle); !ok || got != r.rule.Comment {
			continue // flushed meanwhile
		}
		del = append(del, &nftables.Rule{Table: table(k.v6), Chain: chainRef(k.v6, k.chain), Handle: r.handle})
	}
	if len(del) == 0 {
		return errors.Join(errs...)
	}
	for _, r := range del {
		_ = c.DelRule(r)
	}
	if err := c.Flush(); err == nil {
		return errors.Join(errs...)
	}
	for _, r := range del {
		_ = c.DelRule(r)
		if err := c.Flush(); err != nil && !strings.Contains(err.Error(), "no such file") {
			errs = append(errs, fmt.Errorf("deleting rule %d from %s chain %s: %w", r.Handle, tableName(r.Table.Family == nftables.TableFamilyIPv6), r.Chain.Name, err))
		}
	}
	return errors.Join(errs...)
}

// cleanup deletes the chains and tables we created once they are empty.
// A chain that still has rules (someone else's, or another CHILD_SA's)
// makes DELCHAIN fail with EBUSY and with it the whole transaction, so
// nothing with rules is ever deleted; the table goes only when its
// chains are all ours and go too.
func (f *firewall) cleanup() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.createdChains) == 0 && len(f.createdTables) == 0 {
		return nil
	}
	c, err := f.conn()
	if err != nil {
		return err
	}
	var errs []error
	for _, v6 := range []bool{false, true} {
		var mine []fwChain
		for k := range f.createdChains {
			if k.v6 == v6 {
				mine = append(mine, k.chain)
			}
		}
		if len(mine) == 0 && !f.createdTables[v6] {
			continue
		}
		tables, err := c.ListTablesOfFamily(family(v6))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.ContainsFunc(tables, func(t *nftables.Table) bool { return t.Name == filterTable }) {
			// someone deleted it, with our chains
			for _, name := range mine {
				delete(f.createdChains, chainKey{v6, name})
			}
			delete(f.createdTables, v6)
			continue
		}
		chains, err := c.ListChainsOfTableFamily(family(v6))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var present, empty []fwChain
		others := 0
		for _, ch := range chains {
			switch {
			case ch.Table.Name != filterTable:
			case contains(mine, fwChain(ch.Name)):
				present = append(present, fwChain(ch.Name))
				if rs, err := c.GetRules(table(v6), chainRef(v6, fwChain(ch.Name))); err == nil && len(rs) == 0 {
					empty = append(empty, fwChain(ch.Name))
				}
			default:
				others++
			}
		}
		for _, name := range mine {
			if !contains(present, name) {
				delete(f.createdChains, chainKey{v6, name})
			}
		}
		dropTable := f.createdTables[v6] && others == 0 && len(empty) == len(present)
		if len(empty) == 0 && !dropTable {
			continue
		}
		for _, name := range empty {
			c.DelChain(chainRef(v6, name))
		}
		if dropTable {
			c.DelTable(table(v6))
		}
		if err := c.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("deleting empty chains of %s: %w", tableName(v6), err))
			continue
		}
		for _, name := range empty {
			delete(f.createdChains, chainKey{v6, name})
		}
		if dropTable {
			delete(f.createdTables, v6)
		}
	}
	return errors.Join(errs...)
}

// legacyFilter reports, the first time only, whether iptables-legacy
// has a filter table in our namespace: our nftables rules do not open it.
func (f *firewall) legacyFilter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.legacyChecked || f.netns != 0 {
		return false
	}
	f.legacyChecked = true
	for _, name := range []string{"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"} {
		if b, err := os.ReadFile(name); err == nil && bytes.Contains(b, []byte("filter")) {
			return true
		}
	}
	return false
}

// exprs encodes the rule as iptables-nft 1.8 does: interface, protocol,
// addresses natively, then the matches in command-line order (tcp/udp
// ports and ICMP type natively, the policy match through xtables),
// counter, accept.
func (r *fwRule) exprs() []expr.Any {
	var e []expr.Any
	iface := func(key expr.MetaKey, name string) {
		data := []byte(name)
		if strings.HasSuffix(name, "+") {
			data = data[:len(data)-1]
		} else {
			data = append(data, 0)
		}
		e = append(e, &expr.Meta{Key: key, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: data})
	}
	if r.In != "" {
		iface(expr.MetaKeyIIFNAME, r.In)
	}
	if r.Out != "" {
		iface(expr.MetaKeyOIFNAME, r.Out)
	}
	if r.Proto != 0 {
		e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{r.Proto}})
	}
	srcOff, dstOff := uint32(12), uint32(16)
	if r.V6 {
		srcOff, dstOff = 8, 24
	}
	e = appendAddr(e, r.Src, srcOff)
	e = appendAddr(e, r.Dst, dstOff)
	ports := func() {
		if r.icmp != nil {
			data := []byte{r.icmp.typ}
			if r.icmp.hasCode {
				data = append(data, r.icmp.code)
			}
			e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: uint32(len(data))},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: data})
			return
		}
		e = appendPort(e, r.sport, 0)
		e = appendPort(e, r.dport, 2)
	}
	policy := func() {
		if r.policy != nil {
			info := xt.Unknown(r.policy.info())
			e = append(e, &expr.Match{Name: "policy", Rev: 0, Info: &info})
		}
	}
	if r.policyFirst {
		policy()
		ports()
	} else {
		ports()
		policy()
	}
	return append(e, &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept})
}

// appendAddr matches a prefix at off in the network header: the whole
// bytes of the mask with a plain comparison, or the full address through
// a bitwise mask when the prefix does not end on a byte.
func appendAddr(e []expr.Any, p netip.Prefix, off uint32) []expr.Any {
	if !p.IsValid() || p.Bits() == 0 {
		return e
	}
	p = p.Masked()
	addr := p.Addr().AsSlice()
	n := len(addr)
	bits := p.Bits()
	if bits%8 == 0 {
		n = bits / 8
		return append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(n)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr[:n]})
	}
	mask := make([]byte, n)
	for i := 0; i < bits; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	return append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(n)},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(n), Mask: mask, Xor: make([]byte, n)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr})
}

func appendPort(e []expr.Any, p *portMatch, off uint32) []expr.Any {
	if p == nil {
		return e
	}
	e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2})
	from := binary.BigEndian.AppendUint16(nil, p.from)
	to := binary.BigEndian.AppendUint16(nil, p.to)
	switch {
	case p.from == p.to:
		return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: from})
	case p.from == 0:
		// iptables-nft writes "0:N" as "<= N"
		return append(e, &expr.Cmp{Op: expr.CmpOpLte, Register: 1, Data: to})
	}
	return append(e, &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: from, ToData: to})
}

// userData is the rule's comment as nft and iptables-nft store it.
func (r *fwRule) userData() []byte {
	if r.Comment == "" {
		return nil
	}
	return userdata.AppendString(nil, userdata.TypeComment, r.Comment)
}

// xt_policy_info (linux/netfilter/xt_policy.h): four elements of
// {saddr, smask, daddr, dmask [16]byte; spi be32; reqid u32; proto, mode,
// match, invert u8}, then flags and len (u16), padded to 8 bytes.
const (
	policyElemSize  = 76
	policyInfoSize  = 4*policyElemSize + 4
	policyMatchIn   = 0x1
	policyMatchOut  = 0x2
	policySpecProto = 1 << 2
	policySpecReqID = 1 << 5
)

// info is the xt_policy_info of "--pol ipsec --dir DIR --reqid N --proto
// P" in host byte order.
func (p *policyMatch) info() []byte {
	b := make([]byte, (policyInfoSize+7)&^7)
	binary.NativeEndian.PutUint32(b[68:], p.reqid)
	b[72] = p.proto
	b[74] = policySpecProto | policySpecReqID
	flags := uint16(policyMatchOut)
	if p.in {
		flags = policyMatchIn
	}
	binary.NativeEndian.PutUint16(b[4*policyElemSize:], flags)
	binary.NativeEndian.PutUint16(b[4*policyElemSize+2:], 1)
	return b
}
