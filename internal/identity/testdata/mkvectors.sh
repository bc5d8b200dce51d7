#!/bin/sh
# Regenerates strongswan-vectors.txt with strongSwan's own pki tool
# (Debian 12 package strongswan-pki 5.9.8): for every identity string in
# the list below, a self-signed certificate whose subjectAltName is that
# identity (pki --san, i.e. identification_create_from_string and the x509
# plugin's generalName encoding) and, for DN strings, whose subject is the
# DN (pki --dn, i.e. atodn). Each output line is
#   input TAB hex(certificate DER) TAB altNames as "pki --print" shows them TAB subject as shown
# The Go test compares our Parse, String and SubjectAltNames with them.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pki --gen --type ecdsa --size 256 > "$tmp/key.der" 2>/dev/null
out=strongswan-vectors.txt
: > "$out"
while IFS= read -r id; do
	[ -z "$id" ] && continue
	case "$id" in
	*=*) dn=$id ;;
	*) dn="CN=vector" ;;
	esac
	pki --self --in "$tmp/key.der" --type ecdsa --dn "$dn" --san "$id" --outform der > "$tmp/c.der" 2>/dev/null
	pki --print --in "$tmp/c.der" 2>/dev/null > "$tmp/p.txt"
	alt=$(sed -n 's/^  altNames:  //p' "$tmp/p.txt")
	subj=$(sed -n 's/^  subject:  "\(.*\)"$/\1/p' "$tmp/p.txt")
	hex=$(od -An -v -tx1 "$tmp/c.der" | tr -d ' \n')
	printf '%s\t%s\t%s\t%s\n' "$id" "$hex" "$alt" "$subj" >> "$out"
done <<'LIST'
carol@strongswan.org
@moon.strongswan.org
moon.strongswan.org
carol
192.168.0.1
10.1.0.10
fec0::1
fec0::10
::1.2.3.4
::ffff:192.168.0.1
*@strongswan.org
*.strongswan.org
@@carol@strongswan.org
@@bob
rfc822:dave@strongswan.org
email:alice@strongswan.org
fqdn:sun.strongswan.org
dns:venus.strongswan.org
C=CH, O=strongSwan Project, CN=moon.strongswan.org
C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org
C=CH, O=strongSwan Project, OU=*, CN=*
C=CH, O=strongSwan Project, CN=strongSwan Root CA
/C=CH/O=strongSwan Project/CN=sun.strongswan.org
  C = CH ,O=strongSwan Project  ,   CN=x  
C=CH,O=Linux strongSwan,OU=Accounting,CN=dave@strongswan.org
CN=Müller, O=Straße AG
E=carol@strongswan.org, CN=carol
emailAddress=Carol@StrongSwan.org, CN=carol
Email=a@b, CN=c
CN=a=b
CN==x
cn=lower case keyword, o=org
UID=jdoe, DC=strongswan, DC=org
serialNumber=1234, SN=Doe, G=John, I=J
T=Dr., N=Name, D=desc, ST=Zurich, L=Winterthur
STREET=Bahnhofstrasse 1, postalCode=8400, postalAddress=PO Box 1
EN=123, employeeNumber=456
UN=host.example.org, unstructuredName=x
UA=somewhere, unstructuredAddress=else
TCGID=tcg, ND=nd, ID=uid
dnQualifier=q, dmdName=dmd, pseudonym=ps
CN=a+b, OU=x;y
CN=under_score
CN=x, OU=
CN=trailing comma,
LIST
