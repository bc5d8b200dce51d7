// Package updown is charon's updown plugin: it listens on the IKE bus
// for CHILD_SAs going up and down and runs the connection's leftupdown
// command, or, for leftfirewall=yes, installs the firewall rules
// strongSwan's default script would.
//
// # Scripts
//
// For every CHILD_SA whose config has an updown command, and for every
// pair of local and remote traffic selectors of the same address family
// and compatible protocols (in charon's order, IPv4 before IPv6, lower
// addresses and larger ranges first), the command runs as
//
//	/bin/sh -c "2>&1 <command>"
//
// with an environment of PATH and the PLUTO_* variables only (charon's
// updown_listener.c, strongSwan 5.9.8; the list and formats are at
// event.environ). Each line the script writes to stdout, or to stderr
// through the 2>&1, is logged as "updown: <line>" (CHD level 1), cut into
// pieces of 127 bytes as charon's fgets into a 128-byte buffer does. As
// with charon, the 2>&1 covers only the first simple command of the
// line (a path, normally), the shell's own stderr is the daemon's, and a
// line cannot start with "{" or "case". charon 5.9.8 ignores the exit
// status and logs nothing about it; we log a failure at CHD level 1:
//
//	updown script 'CMD' failed: exit status N
//	updown script 'CMD' failed: killed after 30s
//
// charon runs the script synchronously on the IKE_SA's thread. We run
// every event as a job on a queue per reqid (so up and down of a CHILD_SA,
// and the CHILD_SAs that replace it by rekeying, keep their order), and
// the bus hook waits for the job only up to Options.Wait, so a fast
// script (or the firewall rules) is done before the IKE_SA sends its
// next message, as with charon, while a slow one cannot stall the IKE_SA.
// A script still running after Options.Timeout is killed with its process
// group.
//
// # Firewall (leftfirewall=yes)
//
// The command "ipsec _updown iptables" (what leftfirewall=yes stands
// for) does not run a script: the listener installs, with nftables
// netlink messages (github.com/google/nftables), the rules the default
// _updown script would insert with "iptables -I": ACCEPT rules in the
// INPUT, OUTPUT and FORWARD chains of iptables-nft's "filter" tables
// ("ip filter" for IPv4 verbs, "ip6 filter" for -v6 verbs):
//
//	up-client: FORWARD -o IF  -s MY_CLIENT -d PEER_CLIENT  (policy out)
//	           FORWARD -i IF  -s PEER_CLIENT -d MY_CLIENT  (policy in)
//	           (unless PEER_CLIENT is our first virtual IP)
//	           and with a local virtual IP or lefthostaccess=yes also
//	           INPUT -i IF -s PEER_CLIENT -d MY_CLIENT, OUTPUT the reverse
//	up-host:   INPUT  -i IF -s PEER_CLIENT -d ME  (policy in)
//	           OUTPUT -o IF -s ME -d PEER_CLIENT  (policy out)
//	IPComp:    INPUT  -i IF -p ipencap (ipv6) -s PEER -d ME  (policy in)
//
// each with the protocol and ports (ICMP type and code) of the traffic
// selectors. On down the listener deletes exactly the rules it inserted
// for that CHILD_SA (by rule handle), not rules recomputed from the state
// at down time, so a changed address or interface cannot leave rules
// behind.
//
// Datapath XFRM (the kernel does ESP): IF is the interface of the route
// to the peer (PLUTO_INTERFACE) and every rule matches the IPsec policy
// as _updown's "-m policy --pol ipsec --proto esp|ah --reqid N --dir
// in|out" does, so only traffic that was decrypted by, or will be
// encrypted with, this CHILD_SA's SAs is accepted. Datapath TUN (our
// userspace ESP, like kernel-libipsec): decrypted packets enter through
// the TUN device and packets to encrypt leave through it, without any
// XFRM state, so the rules match "-i/-o ipsec0" (Options.Interface)
// instead of the policy; this is what _updown cannot express and why
// strongSwan's own test lab adds "-i ipsec+ -j ACCEPT" rules for libipsec.
//
// # Why the iptables-nft tables, and not a table of our own
//
// In nftables every base chain registered on a hook sees the packet, in
// priority order, and a packet passes the hook only if no chain drops it:
// "accept" ends the evaluation of one chain only, the next base chain
// (in our table or any other) still runs, while "drop" is final. A
// scenario's "iptables-restore < /etc/iptables.rules" on iptables-nft
// creates "table ip filter" with base chains INPUT, FORWARD and OUTPUT at
// priority 0 and policy drop. An ACCEPT rule in a separate table (say
// "inet goswan") would therefore change nothing: the packet would still
// fall through to the DROP policy of "ip filter". The only rule that lets
// tunnel traffic pass is one inside the chain that would otherwise drop
// it, which is where _updown's "iptables -I" puts it; so we insert there,
// at the head of the chain, as "iptables -I CHAIN 1" does. When the
// table or chain does not exist we create them as iptables-nft does
// (type filter, priority 0, policy accept, never touching the policy of
// an existing chain) and delete them again once our last rule is gone
// and they are empty. A native nftables ruleset of the admin (its own
// table with a drop policy) must accept IPsec traffic itself, exactly as
// with strongSwan, whose iptables rules cannot help there either.
//
// The rules are encoded as iptables-nft 1.8 encodes them (meta iifname,
// l4proto, network header payloads with bitwise masks, port payloads,
// the xtables "policy" match through nft_compat, counter, accept), so
// iptables -L/-S/-save/-D keep working on the table and show our rules
// like _updown's, with a comment "goswan CONN{N}" naming the CHILD_SA.
// Native nftables IPsec expressions (meta secpath, ipsec in/out reqid)
// would be simpler but break iptables-nft: it fails to parse such a rule
// ("Parsing nftables rule failed") and with it the whole table, including
// the "iptables -A/-D INPUT ... -j DROP" that strongSwan's DPD scenarios
// run. With iptables-legacy nothing of this applies: its x_tables are not
// nftables and our rules cannot open them (a warning is logged).
//
// # Imports
//
// The package may import the IKE core (internal/ike/sa) and its types
// (internal/ike/cfg, internal/kernel data types, internal/log), the
// nftables and netlink libraries and the standard library. It must not
// import internal/daemon or a kernel backend (internal/kernel/xfrm,
// internal/kernel/userspace): the daemon wires it with New and subscribes
// the Listener to the bus.
package updown
