package verify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"math/big"
)

// newCode returns a uniformly random code of n decimal digits from
// crypto/rand, leading zeros included.
func newCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("verify: crypto/rand failed: " + err.Error()) // never happens since Go 1.24
	}
	s := v.String()
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// mac is what a store keeps of a code: HMAC-SHA256 under the secret of the
// recipient, a zero byte and the code. The recipient is in it so that one
// MAC cannot stand for another recipient's code; the zero byte keeps
// (recipient, code) pairs apart.
func (g *Guard) mac(recipient, code string) []byte {
	h, _ := g.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, g.secret)
	}
	h.Reset()
	h.Write([]byte(recipient))
	h.Write([]byte{0})
	h.Write([]byte(code))
	sum := h.Sum(make([]byte, 0, sha256.Size))
	g.macs.Put(h)
	return sum
}

// Kinds of pseudonym: one input gives different pseudonyms as a recipient,
// an address or a prefix.
const (
	pseudoRecipient = 'r'
	pseudoIP        = 'i'
	pseudoPrefix    = 'p'
	pseudoOther     = 'o'
)

// pseudonymBytes is the size of a pseudonym's MAC: 128 bits, so that no two
// recipients share one (a collision is as likely as guessing a ref).
const pseudonymBytes = 16

// pseudonym is what a store keeps instead of a recipient, an address or a
// prefix: HMAC-SHA256 under the secret of the kind and s, cut to 128 bits,
// in base64url. It is the same for the same s under one secret, so every
// instance counts one recipient as one, and reveals nothing of s to whoever
// reads the store without the secret.
func (g *Guard) pseudonym(kind byte, s string) string {
	h, _ := g.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, g.secret)
	}
	h.Reset()
	var buf [sha256.Size]byte
	h.Write([]byte{kind, 0})
	h.Write([]byte(s))
	sum := h.Sum(buf[:0])
	g.macs.Put(h)
	return base64.RawURLEncoding.EncodeToString(sum[:pseudonymBytes])
}
