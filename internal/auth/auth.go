// Package auth holds Cairn's credentials: API keys, passwords and their
// hashes. It keeps no state; the store keeps the hashes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// KeyLength is the length of a MISP API key.
const KeyLength = 40

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewKey returns a random 40-character API key of letters and digits
// (about 238 bits of entropy).
func NewKey() string { return randomString(KeyLength, keyAlphabet) }

// NewPassword returns a random password of 24 characters.
func NewPassword() string {
	return randomString(24, keyAlphabet+"-_.")
}

func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet) // reject bytes that would bias the draw
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no entropy: nothing is safe
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// ValidKey reports whether k has the form of a MISP API key.
func ValidKey(k string) bool {
	if len(k) != KeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// HashKey returns the stored form of an API key. Keys are long random
// strings, so a fast hash is enough to make a stolen database useless for
// logging in, and it keeps authentication to one indexed lookup per request
// (a slow password hash per API call would cost milliseconds each).
func HashKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// KeyMatches compares a key with a stored hash in constant time.
func KeyMatches(k, hash string) bool {
	h := HashKey(k)
	return subtle.ConstantTimeCompare([]byte(h), []byte(hash)) == 1
}

// ErrWeakPassword is returned for passwords that do not meet the policy.
var ErrWeakPassword = errors.New("password must be at least 12 characters long")

// HashPassword returns a bcrypt hash of a password that meets the policy.
func HashPassword(p string) (string, error) {
	if len(p) < 12 {
		return "", ErrWeakPassword
	}
	if len(p) > 72 {
		return "", errors.New("password must be at most 72 bytes long")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), 12)
	return string(h), err
}

// CheckPassword reports whether p matches the bcrypt hash.
func CheckPassword(hash, p string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(p)) == nil
}
