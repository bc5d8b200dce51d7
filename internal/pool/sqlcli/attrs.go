package sqlcli

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"github.com/goswan/goswan/internal/config"
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/message"
	sqlpool "github.com/goswan/goswan/internal/pool/sql"
)

// unityNetworkLen is the size of one subnet of a Unity split attribute:
// address, netmask, protocol and ports.
const unityNetworkLen = 14

// attrInfo is a keyword of --addattr/--delattr (the table behind
// --showattr).
type attrInfo struct {
	keyword   string
	valueType valueType
	typ, typ6 message.CPAttrType
}

var attrInfos = []attrInfo{
	{"internal_ip4_netmask", valueAddr, message.CPInternalIP4Netmask, 0},
	{"internal_ip6_netmask", valueAddr, message.CPInternalIP6Netmask, 0},
	{"netmask", valueAddr, message.CPInternalIP4Netmask, message.CPInternalIP6Netmask},
	{"internal_ip4_dns", valueAddr, message.CPInternalIP4DNS, 0},
	{"internal_ip6_dns", valueAddr, message.CPInternalIP6DNS, 0},
	{"dns", valueAddr, message.CPInternalIP4DNS, message.CPInternalIP6DNS},
	{"internal_ip4_nbns", valueAddr, message.CPInternalIP4NBNS, 0},
	{"internal_ip6_nbns", valueAddr, message.CPInternalIP6NBNS, 0},
	{"nbns", valueAddr, message.CPInternalIP4NBNS, message.CPInternalIP6NBNS},
	{"wins", valueAddr, message.CPInternalIP4NBNS, message.CPInternalIP6NBNS},
	{"internal_ip4_dhcp", valueAddr, message.CPInternalIP4DHCP, 0},
	{"internal_ip6_dhcp", valueAddr, message.CPInternalIP6DHCP, 0},
	{"dhcp", valueAddr, message.CPInternalIP4DHCP, message.CPInternalIP6DHCP},
	{"internal_ip4_server", valueAddr, message.CPInternalIP4Server, 0},
	{"internal_ip6_server", valueAddr, message.CPInternalIP6Server, 0},
	{"server", valueAddr, message.CPInternalIP4Server, message.CPInternalIP6Server},
	{"application_version", valueString, message.CPApplicationVersion, 0},
	{"version", valueString, message.CPApplicationVersion, 0},
	{"unity_banner", valueString, message.CPUnityBanner, 0},
	{"banner", valueString, message.CPUnityBanner, 0},
	{"unity_def_domain", valueString, message.CPUnityDefDomain, 0},
	{"unity_splitdns_name", valueString, message.CPUnitySplitDNSName, 0},
	{"unity_split_include", valueSubnet, message.CPUnitySplitInclude, 0},
	{"unity_split_exclude", valueSubnet, message.CPUnityLocalLAN, 0},
	{"unity_local_lan", valueSubnet, message.CPUnityLocalLAN, 0},
}

// typeName is %N of configuration_attribute_type_names.
func typeName(t message.CPAttrType) string { return t.String() }

// hexColons is %#B: lower-case hex octets joined by colons.
func hexColons(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(c>>4), 16))
		sb.WriteString(strconv.FormatUint(uint64(c&0xf), 16))
	}
	return sb.String()
}

// fromHex decodes as chunk_from_hex: an optional 0x; read from the
// right, a colon before a low nibble is skipped; an odd number of digits
// leaves the first high nibble 0; bad digits read as 0.
func fromHex(s string) []byte {
	if len(s) > 1 && s[0] == '0' && s[1] == 'x' {
		s = s[2:]
	}
	n := len(s) - strings.Count(s, ":")
	odd := n%2 == 1
	if odd {
		n++
	}
	n /= 2
	out := make([]byte, n)
	p := len(s)
	for i := n - 1; i >= 0; i-- {
		p--
		if p >= 0 && s[p] == ':' {
			p--
		}
		if p >= 0 {
			out[i] = hexVal(s[p])
		}
		if i > 0 || !odd {
			p--
			if p >= 0 {
				out[i] |= hexVal(s[p]) << 4
			}
		}
	}
	return out
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// parsedAttr is the type and encoded value of an attribute argument.
type parsedAttr struct {
	typ, typ6 message.CPAttrType
	vt        valueType
	blob      []byte
}

// parseAttribute determines the type of attribute name (a keyword or a
// number) and encodes the value as pool_attributes.c does.
func (r *runner) parseAttribute(name, value string, vt valueType) (*parsedAttr, error) {
	p := &parsedAttr{vt: vt}
	var addr []byte
	switch vt {
	case valueString:
		p.blob = []byte(value)
	case valueHex:
		p.blob = fromHex(value)
	case valueAddr:
		a, ok := config.ParseHost(value)
		if !ok {
			return nil, r.errorf("invalid IP address: '%s'.\n", value)
		}
		addr = a.AsSlice()
		p.blob = addr
	case valueSubnet:
		for _, sub := range strings.Split(value, ",") {
			net, mask, ok := strings.Cut(sub, "/")
			if !ok {
				return nil, r.errorf("invalid IPv4 subnet: '%s'.\n", sub)
			}
			a, ok1 := config.ParseHost(net)
			m, ok2 := config.ParseHost(mask)
			if !ok1 || !a.Is4() || !ok2 {
				return nil, r.errorf("invalid IPv4 subnet: '%s/%s'.\n", net, mask)
			}
			var rec [unityNetworkLen]byte
			copy(rec[:4], a.AsSlice())
			copy(rec[4:8], m.AsSlice()[:4])
			p.blob = append(p.blob, rec[:]...)
		}
	}
	for _, ai := range attrInfos {
		if !strings.EqualFold(name, ai.keyword) {
			continue
		}
		p.typ, p.typ6 = ai.typ, ai.typ6
		if p.vt == valueNone {
			p.vt = ai.valueType
			return p, nil
		}
		if p.vt != ai.valueType && p.vt != valueHex {
			text := map[valueType]string{valueString: "a string", valueHex: "a hex", valueAddr: "an IP address",
				valueSubnet: "a subnet", valueNone: "no"}[ai.valueType]
			return nil, r.errorf("the %s attribute requires %s value.\n", name, text)
		}
		switch p.vt {
		case valueAddr:
			if len(addr) != 4 {
				p.typ = ai.typ6
			}
		case valueHex:
			p.vt = ai.valueType
			if p.vt == valueAddr {
				switch len(p.blob) {
				case 16:
					p.typ = ai.typ6
				case 4:
				default:
					return nil, r.errorf("the %s attribute requires a valid IP address.\n", name)
				}
			}
		}
		return p, nil
	}
	n, ok := strtol(name)
	if !ok {
		return nil, r.errorf("the %s attribute is not recognized.\n", name)
	}
	if n < 1 || n > 32767 {
		return nil, r.errorf("the attribute type must lie in the range 1..32767.\n")
	}
	p.typ = message.CPAttrType(n)
	if p.vt == valueNone {
		p.vt = valueHex
	}
	return p, nil
}

// strtol reads a whole string as a decimal number as strtol(s, &end, 10)
// with *end == '\0' does.
func strtol(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" {
		// no digits: end is s itself
		return 0, s == ""
	}
	var n int64
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		if n < 1<<40 {
			n = n*10 + int64(t[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// attrPool returns the row of an attribute pool, creating it.
func (r *runner) attrPool(ctx context.Context, name string) (int64, error) {
	var id int64
	err := r.tx.QueryRowContext(ctx, "SELECT id FROM attribute_pools WHERE name = ?", name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, dbsql.ErrNoRows) {
		return 0, err
	}
	if err := r.tx.QueryRowContext(ctx, "INSERT INTO attribute_pools (name) VALUES (?) RETURNING id", name).Scan(&id); err != nil {
		return 0, r.errorf("creating attribute pool '%s' failed.\n", name)
	}
	return id, nil
}

// scope resolves --pool and --identity: the attribute pool and identity
// rows and the " for 'ID' in pool 'P'" text of the messages.
func (r *runner) scope(ctx context.Context, c *command) (pool, ident int64, text string, err error) {
	if !c.hasPool {
		return 0, 0, "", nil
	}
	if pool, err = r.attrPool(ctx, c.pool); err != nil {
		return 0, 0, "", err
	}
	if !c.hasID {
		return pool, 0, limit127(fmt.Sprintf(" in pool '%s'", c.pool)), nil
	}
	id, _ := identity.Parse(c.identity)
	if ident, err = sqlpool.IdentityID(ctx, r.tx, id); err != nil {
		return 0, 0, "", r.errorf("creating id '%s' failed.\n", id)
	}
	return pool, ident, limit127(fmt.Sprintf(" for '%s' in pool '%s'", c.identity, c.pool)), nil
}

// limit127 cuts a text to pool_attributes.c's 128 byte buffer.
func limit127(s string) string {
	if len(s) > 127 {
		return s[:127]
	}
	return s
}

// addAttr is --addattr TYPE (or --add dns|nbns|wins) with a value.
func (r *runner) addAttr(ctx context.Context, c *command) error {
	pool, ident, where, err := r.scope(ctx, c)
	if err != nil {
		return err
	}
	p, err := r.parseAttribute(c.name, c.value, c.valueType)
	if err != nil {
		return err
	}
	if _, err := r.tx.ExecContext(ctx, "INSERT INTO attributes (identity, pool, type, value) VALUES (?, ?, ?, ?)",
		ident, pool, int(p.typ), blobArg(p.blob)); err != nil {
		return r.errorf("adding %s attribute (%s)%s failed.\n", c.name, typeName(p.typ), where)
	}
	fmt.Fprintf(r.out, "added %s attribute (%s)%s.\n", c.name, typeName(p.typ), where)
	return nil
}

func blobArg(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// delAttr is --delattr TYPE (or --del dns|nbns|wins), with a value to
// delete one attribute or without to delete all of the type.
func (r *runner) delAttr(ctx context.Context, c *command) error {
	pool, ident, where, err := r.scope(ctx, c)
	if err != nil {
		return err
	}
	p, err := r.parseAttribute(c.name, c.value, c.valueType)
	if err != nil {
		return err
	}
	var rows *dbsql.Rows
	switch {
	case len(p.blob) > 0:
		rows, err = r.tx.QueryContext(ctx, "SELECT id, type, value FROM attributes WHERE identity = ? AND pool = ? AND type = ? AND value = ? ORDER BY id",
			ident, pool, int(p.typ), p.blob)
	case p.typ6 == 0:
		rows, err = r.tx.QueryContext(ctx, "SELECT id, type, value FROM attributes WHERE identity = ? AND pool = ? AND type = ? ORDER BY id",
			ident, pool, int(p.typ))
	default:
		rows, err = r.tx.QueryContext(ctx, "SELECT id, type, value FROM attributes WHERE identity = ? AND pool = ? AND (type = ? OR type = ?) ORDER BY id",
			ident, pool, int(p.typ), int(p.typ6))
	}
	if err != nil {
		return r.errorf("deleting '%s' attribute (%s)%s failed.\n", c.name, typeName(p.typ), where)
	}
	type found struct {
		id    int64
		typ   int64
		value []byte
	}
	var all []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.id, &f.typ, &f.value); err != nil {
			rows.Close()
			return err
		}
		all = append(all, f)
	}
	rows.Close()
	for _, f := range all {
		res, err := r.tx.ExecContext(ctx, "DELETE FROM attributes WHERE id = ?", f.id)
		n := int64(0)
		if err == nil {
			n, _ = res.RowsAffected()
		}
		server := ""
		if p.vt == valueAddr {
			if a := familyHost(f.value, message.CPAttrType(f.typ) == p.typ6); a.IsValid() {
				server = hostString(a)
			}
		}
		if n != 1 {
			switch {
			case server != "":
				return r.errorf("deleting %s server %s%s failed\n", c.name, server, where)
			case p.vt == valueString:
				return r.errorf("deleting %s attribute (%s) with value '%s'%s failed.\n", c.name, typeName(p.typ), f.value, where)
			}
			return r.errorf("deleting %s attribute (%s) with value %s%s failed.\n", c.name, typeName(p.typ), hexColons(f.value), where)
		}
		switch {
		case server != "":
			fmt.Fprintf(r.out, "deleted %s server %s%s\n", c.name, server, where)
		case p.vt == valueString:
			fmt.Fprintf(r.out, "deleted %s attribute (%s) with value '%s'%s.\n", c.name, typeName(p.typ), f.value, where)
		default:
			fmt.Fprintf(r.out, "deleted %s attribute (%s) with value %s%s.\n", c.name, typeName(p.typ), hexColons(f.value), where)
		}
	}
	if len(all) > 0 {
		return nil
	}
	r.out.Flush()
	switch {
	case len(p.blob) == 0 && p.typ6 == 0:
		fmt.Fprintf(r.env.Stderr, "no %s attribute (%s) was found%s.\n", c.name, typeName(p.typ), where)
	case len(p.blob) == 0:
		fmt.Fprintf(r.env.Stderr, "no %s attribute%s was found.\n", c.name, where)
	case p.vt == valueAddr:
		fmt.Fprintf(r.env.Stderr, "the %s server %s%s was not found.\n", c.name, hostString(chunkHost(p.blob)), where)
	default:
		fmt.Fprintf(r.env.Stderr, "the %s attribute (%s) with value '%s'%s was not found.\n", c.name, typeName(p.typ), p.blob, where)
	}
	return nil
}

// statusAttr is --statusattr [--hexout]: every attribute, values decoded
// by type unless hexout.
func (r *runner) statusAttr(ctx context.Context, hexout bool) error {
	q := `SELECT attributes.type, attribute_pools.name, identities.type, identities.data, attributes.value
 FROM attributes
 LEFT OUTER JOIN identities ON attributes.identity = identities.id
 LEFT OUTER JOIN attribute_pools ON attributes.pool = attribute_pools.id
 ORDER BY attributes.type, attribute_pools.name, identities.type, identities.data, attributes.value`
	if r.tx.Dialect() == sqlpool.Postgres {
		q = `SELECT attributes.type, attribute_pools.name, identities.type, identities.data, attributes.value
 FROM attributes
 LEFT OUTER JOIN identities ON attributes.identity = identities.id
 LEFT OUTER JOIN attribute_pools ON attributes.pool = attribute_pools.id
 ORDER BY attributes.type, attribute_pools.name COLLATE "C" NULLS FIRST, identities.type NULLS FIRST,
 identities.data NULLS FIRST, attributes.value`
	}
	rows, err := r.tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	w := r.out
	first := true
	for rows.Next() {
		var (
			typ    int64
			pool   dbsql.NullString
			idType dbsql.NullInt64
			idData []byte
			value  []byte
		)
		if err := rows.Scan(&typ, &pool, &idType, &idData, &value); err != nil {
			return err
		}
		if first {
			w.WriteString(" type  description           pool        identity              value\n")
			first = false
		}
		name := ""
		if typ >= 0 && typ <= 0xffff {
			if name = typeName(message.CPAttrType(typ)); strings.HasPrefix(name, "(") {
				name = ""
			}
		}
		fmt.Fprintf(w, "%5d  %-20s ", typ, name)
		fmt.Fprintf(w, " %s ", rpad(pool.String, 10))
		if idType.Valid && idType.Int64 != 0 {
			fmt.Fprintf(w, " %s ", rpad(identity.New(identity.Type(idType.Int64), idData).String(), 20))
		} else {
			w.WriteString("                      ")
		}
		vt := valueHex
		if !hexout {
			for _, ai := range attrInfos {
				if int64(ai.typ) == typ {
					vt = ai.valueType
					break
				}
			}
		}
		switch vt {
		case valueAddr:
			if a := chunkHost(value); a.IsValid() {
				fmt.Fprintf(w, " %s\n", hostString(a))
			} else {
				fmt.Fprintf(w, " %s\n", hexColons(value))
			}
		case valueSubnet:
			if len(value)%unityNetworkLen != 0 {
				fmt.Fprintf(w, " %s\n", hexColons(value))
				break
			}
			for i := 0; i < len(value)/unityNetworkLen; i++ {
				rec := value[i*unityNetworkLen:]
				sep := " "
				if i > 0 {
					sep = ","
				}
				fmt.Fprintf(w, "%s%s/%s", sep, hostString(familyHost(rec[:4], false)), hostString(familyHost(rec[4:8], false)))
			}
			w.WriteString("\n")
		case valueString:
			fmt.Fprintf(w, "\"%s\"\n", value)
		default:
			fmt.Fprintf(w, " %s\n", hexColons(value))
		}
	}
	return rows.Err()
}

// showAttr is --showattr: the attribute keywords.
func (r *runner) showAttr() {
	for _, ai := range attrInfos {
		fmt.Fprintf(r.out, "%-20s  --%-6s  (%s", ai.keyword, ai.valueType, typeName(ai.typ))
		if ai.typ6 != 0 {
			fmt.Fprintf(r.out, ", %s)\n", typeName(ai.typ6))
		} else {
			fmt.Fprint(r.out, ")\n")
		}
	}
}
