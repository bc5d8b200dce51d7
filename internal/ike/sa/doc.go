// Package sa is the IKEv2 protocol core: IKE_SAs and CHILD_SAs, the task
// manager that runs exchanges on them (message IDs, retransmission with
// cached bytes, collisions), the core tasks (IKE_SA_INIT with NAT
// detection and cookies, IKE_AUTH with certificates and PSK, CHILD_SA
// creation, rekeying, reauthentication, deletion, DPD), and the SA manager
// that owns one goroutine per IKE_SA and dispatches packets, timers,
// control commands and kernel events to it.
//
// Every IKE_SA is owned by exactly one goroutine (its actor); everything
// that touches an IKE_SA's state runs there, so tasks need no locks. Other
// goroutines talk to an IKE_SA only through its mailbox and read it only
// through the immutable snapshots it publishes.
//
// The package imports the wire format, crypto, configuration, identity,
// credentials and the kernel interfaces; it must not import an extension
// (mobike, pool, eap, tnc, ha) nor a concrete kernel backend: those plug
// in through Env, the bus and registered task factories.
package sa
