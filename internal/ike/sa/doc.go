// Package sa is the IKEv2 protocol core: IKE_SAs and CHILD_SAs, the task
// manager that runs exchanges on them (message IDs, retransmission with
// cached bytes, collisions), the core tasks (IKE_SA_INIT with NAT
// detection and cookies, IKE_AUTH with certificates and PSK, CHILD_SA
// creation, rekeying, reauthentication, AUTH_LIFETIME, deletion, DPD), and
// the SA manager that owns the IKE_SAs and dispatches packets, timers,
// control commands and kernel events to their mailboxes.
//
// Every IKE_SA is owned by its actor: a mailbox whose closures run one at
// a time, in order, on a goroutine that exists while the mailbox has work
// (an idle SA holds no goroutine, which saves its 4 KiB stack per SA);
// everything that touches an IKE_SA's state runs there, so tasks need no
// locks. Other goroutines talk to an IKE_SA only through its mailbox and
// read it only through the immutable snapshots it publishes.
//
// Lifecycle semantics follow charon 5.9: exchange collisions are resolved
// by the active rekey task (RFC 7296 sections 2.8.1 and 2.8.2, see
// childRekey and ikeRekey), reauthentication is break-before-make unless
// charon.make_before_break is set, dpdaction/closeaction restart a
// connection or install a trap (Manager.Route), kernel expires, acquires
// and NAT mapping changes arrive through Manager.HandleKernelEvent, and
// uniqueids= is enforced when a peer authenticates.
//
// The package imports the wire format, crypto, configuration, identity,
// credentials and the kernel interfaces; it must not import an extension
// (mobike, pool, eap, tnc, ha) nor a concrete kernel backend: those plug
// in through Env, the bus and registered task factories.
package sa
