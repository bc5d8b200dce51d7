package crypto_test

import (
	"bytes"
	"fmt"

	"github.com/goswan/goswan/internal/ike/crypto"
)

// The IKE_SA_INIT/IKE_AUTH key flow of both peers, in one process.
func Example() {
	// configuration: ike=aes256gcm16-prfsha384-x25519-ke1_mlkem768!
	configured, _ := crypto.ParseProposals(crypto.ProtoIKE, "aes256gcm16-prfsha384-x25519-ke1_mlkem768!")
	// the initiator sends its proposals, the responder selects
	received := configured
	sel, err := crypto.SelectProposal(configured, received, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(sel)

	// IKE_SA_INIT: the KE payloads
	ke, _ := sel.Get(crypto.TransformKE)
	ini, _ := crypto.NewKeyExchange(ke.ID, nil)
	respValue, respSecret, _ := crypto.RespondKeyExchange(ke.ID, ini.PublicValue(), nil)
	iniSecret, _ := ini.SharedSecret(respValue)

	ni, nr := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	spii, spir := []byte("SPIi...."), []byte("SPIr....")
	ik, _ := crypto.DeriveIKEKeys(sel, ni, nr, iniSecret, spii, spir)
	rk, _ := crypto.DeriveIKEKeys(sel, ni, nr, respSecret, spii, spir)

	// IKE_INTERMEDIATE: the additional ML-KEM-768 key exchange
	add, _ := sel.Get(crypto.TransformADDKE1)
	ini2, _ := crypto.NewKeyExchange(add.ID, nil)
	ct, rs2, _ := crypto.RespondKeyExchange(add.ID, ini2.PublicValue(), nil)
	is2, _ := ini2.SharedSecret(ct)
	ik, _ = crypto.DeriveAdditionalIKEKeys(sel, ik, ni, nr, spii, spir, is2)
	rk, _ = crypto.DeriveAdditionalIKEKeys(sel, rk, ni, nr, spii, spir, rs2)

	// IKE_AUTH: the initiator protects its request, the responder opens it
	iout, _, _ := ik.SKs(sel, true)
	_, rin, _ := rk.SKs(sel, false)
	inner := []byte("IDi AUTH SA TSi TSr")
	header := []byte("IKE header + SK header")
	msg, _ := iout.Seal(bytes.Clone(header), header, inner, nil)
	plain, err := rin.Open(msg[:len(header)], msg[len(header):])
	fmt.Printf("%s %v\n", plain, err)

	// CHILD_SA keys from esp=aes128gcm16
	esp, _ := crypto.ParseProposals(crypto.ProtoESP, "aes128gcm16!")
	ck, _ := crypto.DeriveChildKeys(esp[0], ik.PRF, ik.SKd, ni, nr)
	fmt.Println(len(ck.EncrI), len(ck.IntegI))
	// Output:
	// IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768
	// IDi AUTH SA TSi TSr <nil>
	// 20 0
}
