package netdb

import "testing"

func TestNames(t *testing.T) {
	if ProtoName(6) != "tcp" || ProtoName(17) != "udp" || ProtoName(1) != "icmp" {
		t.Fatalf("protocols: %q %q %q", ProtoName(6), ProtoName(17), ProtoName(1))
	}
	if ServiceName(80, "tcp") != "http" || ServiceName(22, "tcp") != "ssh" {
		t.Fatalf("services: %q %q", ServiceName(80, "tcp"), ServiceName(22, "tcp"))
	}
	if ServiceName(65000, "tcp") != "" || ProtoName(253) == "tcp" {
		t.Fatal("unknown numbers must have no name")
	}
}
