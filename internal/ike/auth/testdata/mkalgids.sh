#!/bin/sh
# Regenerates strongswan-algids.txt: the signature AlgorithmIdentifiers
# strongSwan's signature_params_build encodes (the same function builds the
# RFC 7427 AUTH data), taken from self-signed certificates made by
# strongSwan 5.9.8's pki tool with each digest and padding. Each line is
#   type:digest:padding hex(AlgorithmIdentifier) hex(certificate)
# so that the test can also verify the signature strongSwan made (with the
# same private_key_t sign() charon uses for AUTH payloads) over the
# certificate's tbsCertificate.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pki --gen --type rsa --size 2048 > "$tmp/rsa" 2>/dev/null
pki --gen --type ecdsa --size 384 > "$tmp/ecdsa" 2>/dev/null
pki --gen --type ed25519 > "$tmp/ed25519" 2>/dev/null
out=strongswan-algids.txt
: > "$out"
for spec in rsa:sha1:pkcs1 rsa:sha224:pkcs1 rsa:sha256:pkcs1 rsa:sha384:pkcs1 rsa:sha512:pkcs1 \
	rsa:sha1:pss rsa:sha256:pss rsa:sha384:pss rsa:sha512:pss \
	ecdsa:sha1: ecdsa:sha256: ecdsa:sha384: ecdsa:sha512: ed25519::; do
	type=${spec%%:*}; rest=${spec#*:}; digest=${rest%%:*}; pad=${rest#*:}
	set -- --type "$type"
	[ -n "$digest" ] && set -- "$@" --digest "$digest"
	[ "$pad" = pss ] && set -- "$@" --rsa-padding pss
	pki --self --in "$tmp/$type" "$@" --dn "CN=algid" --outform der > "$tmp/cert" 2>/dev/null
	# the certificate's signatureAlgorithm: the second element of the outer SEQUENCE
	set -- $(openssl asn1parse -inform der -in "$tmp/cert" | grep 'd=1' | sed -n 2p | sed 's/[:=]/ /g')
	# "off d 1 hl H l L ..."
	algid=$(dd if="$tmp/cert" bs=1 skip="$1" count=$(($5 + $7)) 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
	cert=$(od -An -v -tx1 "$tmp/cert" | tr -d ' \n')
	echo "$spec $algid $cert" >> "$out"
done
