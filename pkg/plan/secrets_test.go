package plan

import (
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
)

func phcArgon2id(secret string, salt []byte, m, t uint32, p uint8) string {
	enc := base64.RawStdEncoding
	k := argon2.IDKey([]byte(secret), salt, t, m, p, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, enc.EncodeToString(salt), enc.EncodeToString(k))
}

// TestVerifyPHCBoundsTheStoredParameters: the hash parameters come from Kong's database, which
// anyone with Admin API access writes. Kong's own hashes verify; zero rounds or lanes (argon2
// panics on them), memory or rounds beyond the bounds, and an empty sum (which equals the empty
// key of a zero length) never verify, and nothing panics.
func TestVerifyPHCBoundsTheStoredParameters(t *testing.T) {
	salt := []byte("0123456789abcdef")
	enc := base64.RawStdEncoding
	sum := enc.EncodeToString(make([]byte, 32))
	for _, tt := range []struct {
		name, phc string
		want      bool
	}{
		{"Kong's argon2id", phcArgon2id("s3cret", salt, 4096, 3, 1), true},
		{"Kong's pbkdf2", phcPBKDF2(t, "s3cret", salt), true},
		{"wrong secret", phcArgon2id("other", salt, 4096, 3, 1), false},
		{"argon2 zero rounds", "$argon2id$v=19$m=4096,t=0,p=1$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"argon2 zero lanes", "$argon2id$v=19$m=4096,t=3,p=0$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"argon2i zero rounds", "$argon2i$v=19$m=4096,t=0,p=1$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"argon2 4 TiB of memory", "$argon2id$v=19$m=4294967295,t=3,p=1$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"argon2 a million rounds", "$argon2id$v=19$m=4096,t=1000000,p=1$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"pbkdf2 two billion rounds", "$pbkdf2-sha512$i=2000000000,l=32$" + enc.EncodeToString(salt) + "$" + sum, false},
		{"empty sum", "$pbkdf2-sha512$i=1,l=0$" + enc.EncodeToString(salt) + "$", false},
		{"huge key", "$pbkdf2-sha512$i=1,l=32$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(make([]byte, 1<<20)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := verifyPHC("s3cret", tt.phc); got != tt.want {
				t.Fatalf("verifyPHC = %v, want %v", got, tt.want)
			}
		})
	}
}
