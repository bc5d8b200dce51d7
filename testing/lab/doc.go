// Package lab is the project's test lab: strongSwan's test network (hosts
// alice, venus, moon, carol, winnetou, dave, sun and bob on three segments)
// built from Linux network namespaces, and a runner for test scenarios in
// strongSwan's format (test.conf, pretest.dat, evaltest.dat, posttest.dat,
// hosts/HOST/etc/...).
//
// Each host is a network namespace plus private PID, mount and UTS
// namespaces whose PID 1 is this package's HostInit (hostinit.go); the
// hosts hang off bridges in a switch namespace (host.go, netns.go). Host
// configuration is an overlay /etc built from testing/hosts, the test PKI
// (package testing/pki) and the scenario (layers.go). When a host runs
// Debian's strongSwan instead of our daemon, its configuration gets the
// adjustments that strongSwan needs on a kernel without ESP (fixups.go);
// evaltest lines can be rewritten for the same reason (compat.go).
//
// The lab touches only what it creates: its namespaces (Config.Prefix),
// its state directory (Config.State) and processes inside its hosts. It
// never changes the root namespace's interfaces, routes or firewall, and
// nothing is mounted in the root mount namespace.
//
// It imports only the standard library, golang.org/x/sys and testing/pki;
// it must not import the daemon's packages: it tests them from outside.
package lab
