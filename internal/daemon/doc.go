// Package daemon wires the parts of charon together: it reads
// strongswan.conf, ipsec.conf, ipsec.secrets and ipsec.d, configures the
// loggers, builds the credential store and the peer configs, opens the IKE
// sockets, runs the SA manager, starts auto=start connections and
// implements the control socket's Backend (ipsec up/down/status/reload/...).
//
// It is the only place that knows all packages; cmd/charon is a thin
// main around it. Extensions (pools, EAP, MOBIKE, HA, ...) are registered
// here as they arrive.
package daemon
