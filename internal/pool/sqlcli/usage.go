package sqlcli

// usageText is what `ipsec pool --help` prints (strongSwan 5.9.8's
// pool_usage.c, byte for byte).
const usageText = `Usage:
  ipsec pool --status|--add|--replace|--del|--resize|--leases|--purge [options]
  ipsec pool --showattr|--statusattr|--addattr|--delattr [options]
  
  ipsec pool --status
    Show a list of installed pools with statistics plus nameserver info.
  
  ipsec pool --statusattr [--hexout]
    Show a list of all attributes stored in the database with the values
    converted to the correct format if the type is known by --showattr or
    in hex format otherwise.
      hexout:  Output all values in hex format
  
  ipsec pool --showattr
    Show a keyword list of the major attribute types.
  
  ipsec pool --add <name> --start <start> --end <end> [--timeout <timeout>]
  ipsec pool --replace <name> --start <start> --end <end> [--timeout <timeout>]
    Add a new pool to or replace an existing pool in the database.
      name:    Name of the pool, as used in ipsec.conf rightsourceip=%name
      start:   Start address of the pool
      end:     End address of the pool
      timeout: Lease time in hours (use 'd', 'm', or 's' to alternatively
               configure the time in days, minutes or seconds, respectively),
               0 for static leases
  
  ipsec pool --add <name> --addresses <file> [--timeout <timeout>]
  ipsec pool --replace <name> --addresses <file> [--timeout <timeout>]
    Add a new pool to or replace an existing pool in the database.
      name:    Name of the pool, as used in ipsec.conf rightsourceip=%name
      file:    File newline separated addresses for the pool are read from.
               Optionally each address can be pre-assigned to a roadwarrior
               identity, e.g. 10.231.14.2=alice@strongswan.org.
               If a - (hyphen) is given instead of a file name, the addresses
               are read from STDIN. Reading addresses stops at the end of file
               or an empty line. Pools created with this command can not be
               resized.
      timeout: Lease time in hours (use 'd', 'm', or 's' to alternatively
               configure the time in days, minutes or seconds, respectively),
               0 for static leases
  
  ipsec pool --addattr <type> [--pool <name> [--identity <id>]]
             --addr|--mask|--server|--subnet|--string|--hex <value>
    Add a new attribute to the database. Attributes can be bundled by using
    the --pool and --identity options. If a bundle matches a peer the contained
    attributes are sent to that peer instead of the global ones.
      type:    a keyword from --showattr or a number from the range 1..32767
      name:    the name of the pool this attribute is added to
      id:      identity of the peer this attribute is bound to
      addr:    IPv4 or IPv6 address
      mask:    IPv4 or IPv6 netmask (synonym for --addr)
      server:  IPv4 or IPv6 address of a server (synonym for --addr)
      subnet:  IPv4 subnet[s] given by network/mask[,network/mask,...]
      string:  value of a string-type attribute
      hex:     hex value of any attribute
  
  ipsec pool --del <name>
    Delete a pool from the database.
      name:    Name of the pool to delete
  
  ipsec pool --delattr <type> [--pool <name> [--identity <id>]]
             [--addr|--mask|--server|--subnet|--string|--hex <value>]
    Delete a specific or all attributes of a given type from the database.
      type:    a keyword from --showattr or a number from the range 1..32767
      name:    the name of the pool this attribute is added to
      id:      identity of the peer this attribute is bound to
      addr:    IPv4 or IPv6 address
      mask:    IPv4 or IPv6 netmask (synonym for --addr)
      server:  IPv4 or IPv6 address of a server (synonym for --addr)
      subnet:  IPv4 subnet[s] given by network/mask[,network/mask,...]
      string:  value of a string-type attribute
      hex:     hex value of any attribute
  
  ipsec pool --resize <name> --end <end>
    Grow or shrink an existing pool.
      name:    Name of the pool to resize
      end:     New end address for the pool
  
  ipsec pool --leases [--filter <filter>] [--utc]
    Show lease information using filters:
      filter:  Filter string containing comma separated key=value filters,
               e.g. id=alice@strongswan.org,addr=1.1.1.1
                  pool:   name of the pool
                  id:     assigned identity of the lease
                  addr:   lease IP address
                  tstamp: UNIX timestamp when lease was valid, as integer
                  status: status of the lease: online|valid|expired
      utc:    Show times in UTC instead of local time
  
  ipsec pool --purge <name>
    Delete lease history of a pool:
      name:    Name of the pool to purge
  
  ipsec pool --batch <file>
    Read commands from a file and execute them atomically.
      file:    File to read the newline separated commands from. Commands
               appear as they are written on the command line, e.g.
                  --replace mypool --start 10.0.0.1 --end 10.0.0.254
                  --del dns
                  --add dns --server 10.1.0.1
                  --add dns --server 10.1.1.1
               If a - (hyphen) is given as a file name, the commands are read
               from STDIN. Reading commands stops at the end of file. Empty
               lines are ignored. The file may not contain a --batch command.
  
`
