package xfrm

import (
	"testing"
)

// FuzzParseEvent feeds the event decoders arbitrary messages (seeded with
// the golden kernel messages): they must not panic.
func FuzzParseEvent(f *testing.F) {
	g := map[string]uint16{"ev_acquire_icmp": msgAcquire, "ev_acquire_tcp6": msgAcquire,
		"ev_expire_soft": msgExpire, "ev_expire_hard_v6": msgExpire, "ev_mapping": msgMapping, "ev_migrate": msgMigrate}
	msgs := golden(f)
	for name, typ := range g {
		f.Add(typ, msgs[name])
	}
	x, _ := newRecorded(Options{})
	f.Fuzz(func(t *testing.T, typ uint16, data []byte) {
		x.parseEvent(typ, data)
		parseAttrs(data)
		if len(data) >= sizeofUsersaInfo {
			getUsersaInfo(data)
		}
	})
}
