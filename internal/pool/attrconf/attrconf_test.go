package attrconf

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/log"
)

func settings(t *testing.T, text string) *config.Settings {
	t.Helper()
	s, ds := config.ParseSettings(nil, "strongswan.conf", []byte(text))
	if config.HasErrors(ds) {
		t.Fatal(config.Err(ds))
	}
	return s
}

func capture(t *testing.T) (*log.Logger, func() []string) {
	l := log.New(log.Options{Stderr: io.Discard, Stdout: io.Discard})
	sub := l.Subscribe(log.Filter{Level: log.Diag})
	t.Cleanup(func() { l.Close() })
	return l, func() []string {
		var out []string
		for {
			select {
			case r := <-sub.Records():
				out = append(out, fmt.Sprintf("%d[%s] %s", r.Level, r.Group, r.Message))
			default:
				return out
			}
		}
	}
}

// render prints attributes as "TYPE hex".
func render(as []attr.Attribute) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Type.String()+" "+hex.EncodeToString(a.Value))
	}
	return out
}

func attrConf(body string) string {
	return "charon {\n plugins {\n  attr {\n" + body + "\n  }\n }\n}\n"
}

var vip = []netip.Addr{netip.MustParseAddr("10.3.0.1")}

func TestAttributes(t *testing.T) {
	tests := []struct {
		name, conf string
		want       []string
		logs       []string
	}{
		{
			name: "named",
			conf: `charon {
	plugins {
		attr {
			load = yes
			dns = 10.1.0.20, fec1::20
			nbns = 10.1.0.30
			subnet = 10.1.0.0/16, 10.2.0.0, fec1::/64
			netmask = 255.255.255.0
			p-cscf = 10.1.0.40
			split-include = 10.1.0.0/16
			dhcp = 10.1.0.50
			server = fec1::60
			bogus = 1.2.3.4
		}
	}
}`,
			want: []string{
				"INTERNAL_IP4_DNS 0a010014",
				"INTERNAL_IP6_DNS fec10000000000000000000000000020",
				"INTERNAL_IP4_NBNS 0a01001e",
				"INTERNAL_IP4_SUBNET 0a010000ffff0000",
				// the prefix length sticks, as in charon
				"INTERNAL_IP4_SUBNET 0a020000ffff0000",
				"INTERNAL_IP6_SUBNET fec1000000000000000000000000000040",
				"INTERNAL_IP4_NETMASK ffffff00",
				"P_CSCF_IP4_ADDRESS 0a010028",
				"INTERNAL_IP4_DHCP 0a010032",
				"INTERNAL_IP6_SERVER fec10000000000000000000000000060",
			},
			logs: []string{"1[CFG] mapping attribute type bogus failed"},
		},
		{
			name: "numeric",
			conf: attrConf("25 = strongswan.org\n28675 = 10.1.0.1\n3 = 10.1.0.2/8"),
			want: []string{
				"INTERNAL_DNS_DOMAIN 7374726f6e677377616e2e6f7267",
				"UNITY_SPLITDNS_NAME 0a010001",
				"INTERNAL_IP4_DNS 0a010002ff000000",
			},
		},
		{
			name: "legacy",
			conf: `charon {
	dns1 = 10.1.0.20
	dns2 = fec1::20
	nbns1 = 10.1.0.30
	nbns2 = bad
	plugins { attr { dns = 10.1.0.21, bad } }
}`,
			want: []string{
				"INTERNAL_IP4_DNS 0a010014",
				"INTERNAL_IP4_NBNS 0a01001e",
				"INTERNAL_IP6_DNS fec10000000000000000000000000020",
				"INTERNAL_IP4_DNS 0a010015",
			},
			logs: []string{"1[CFG] invalid host in key dns: bad"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, logs := capture(t)
			p := New(settings(t, tt.conf), "", l)
			got := render(p.Attributes(nil, attr.SA{}, vip))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var level1 []string
			for _, s := range logs() {
				if strings.HasPrefix(s, "1") {
					level1 = append(level1, s)
				} else if !strings.HasPrefix(s, "2[CFG] loaded ") {
					t.Errorf("unexpected %q", s)
				}
			}
			if !slices.Equal(level1, tt.logs) {
				t.Errorf("logs %q, want %q", level1, tt.logs)
			}
			if got := p.Attributes(nil, attr.SA{}, nil); len(got) != 0 {
				t.Errorf("attributes without a virtual IP: %v", got)
			}
			if _, ok := p.AcquireAddress([]string{"x"}, attr.SA{}, vip[0]); ok || p.ReleaseAddress(nil, vip[0], attr.SA{}) {
				t.Error("attr provider handles addresses")
			}
		})
	}
}

func TestLogTexts(t *testing.T) {
	l, logs := capture(t)
	p := New(settings(t, attrConf("dns = 10.1.0.20")), "", l)
	if got := logs(); !slices.Equal(got, []string{"2[CFG] loaded attribute INTERNAL_IP4_DNS: 0a:01:00:14"}) {
		t.Errorf("%q", got)
	}
	p.Reload(settings(t, attrConf("dns = 10.1.0.20, 10.1.0.21\nnbns = 10.1.0.30")))
	got := logs()
	if len(got) != 4 || got[3] != "1[CFG] loaded 3 entries for attr plugin configuration" {
		t.Errorf("%q", got)
	}
	p.Reload(settings(t, attrConf("dns = 10.1.0.20")))
	if got := logs(); got[len(got)-1] != "1[CFG] loaded 1 entry for attr plugin configuration" {
		t.Errorf("%q", got)
	}
	New(settings(t, "charon {\n dns1 = 10.1.0.20\n}\n"), "", l)
	if got := logs(); !slices.Equal(got, []string{"2[CFG] loaded legacy entry attribute INTERNAL_IP4_DNS: 0a:01:00:14"}) {
		t.Errorf("%q", got)
	}
}

func TestConcurrentReload(t *testing.T) {
	p := New(settings(t, attrConf("dns = 10.1.0.20")), "", nil)
	s := settings(t, attrConf("dns = 10.1.0.21"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if i == 0 {
					p.Reload(s)
				} else if len(p.Attributes(nil, attr.SA{}, vip)) != 1 {
					t.Error("lost the attribute")
					return
				}
			}
		}()
	}
	wg.Wait()
}
