package userspace

import "testing"

// TestInlineMode runs the end-to-end tests of the in-memory rig with the
// inline datapath (the readers encrypt, decrypt and deliver themselves),
// which the other tests' peers (Workers: 2) do not use.
func TestInlineMode(t *testing.T) {
	testInline = true
	defer func() { testInline = false }()
	for name, f := range map[string]func(*testing.T){
		"TunnelIPv4":              TestTunnelIPv4,
		"TunnelFamilies":          TestTunnelFamilies,
		"CipherSuitesEndToEnd":    TestCipherSuitesEndToEnd,
		"TransportMode":           TestTransportMode,
		"UDPEncapAndMapping":      TestUDPEncapAndMapping,
		"RekeyWithoutGap":         TestRekeyWithoutGap,
		"LifetimePacketsBytes":    TestLifetimePacketsBytes,
		"SequenceNumbers":         TestSequenceNumbers,
		"ReplayAndIntegrityDrops": TestReplayAndIntegrityDrops,
		"InboundSelectors":        TestInboundSelectors,
		"TooBig":                  TestTooBig,
	} {
		t.Run(name, f)
	}
}
