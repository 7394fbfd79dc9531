package plan

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"maps"
	"strings"

	"golang.org/x/crypto/argon2"
)

// hashedClientSecret: with hash_secret, Kong stores an oauth2 client_secret as a PHC string
// (argon2id, or pbkdf2-sha512 where argon2 is unavailable). A desired plain secret that
// verifies against the stored hash is the same secret.
func hashedClientSecret(want, have map[string]any) map[string]any {
	plain, _ := want["client_secret"].(string)
	stored, _ := have["client_secret"].(string)
	if plain == "" || !strings.HasPrefix(stored, "$") || !verifyPHC(plain, stored) {
		return want
	}
	out := maps.Clone(want)
	out["client_secret"] = stored
	return out
}

// Bounds on the parameters of a stored hash. They come from Kong's database, which anyone with
// Admin API access writes: argon2 panics on zero rounds or lanes, and memory, rounds and key
// length are work this process would do per credential on every plan. Kong writes argon2 with
// m=4096 KiB, t=3, p=1 and pbkdf2-sha512 with 10,000 iterations and 32 bytes; a hash outside
// the bounds is not verified (the secret is rewritten, as for any other difference).
const (
	maxArgon2MemoryKiB = 64 << 10 // 64 MiB
	maxArgon2Rounds    = 16
	maxArgon2Lanes     = 16
	maxPBKDF2Rounds    = 1_000_000
	minHashBytes       = 16
	maxHashBytes       = 128
)

// verifyPHC checks secret against a PHC-format hash ($alg$params$salt$hash), within the
// bounds above.
func verifyPHC(secret, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) < 5 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[len(parts)-2])
	sum, err2 := enc.DecodeString(parts[len(parts)-1])
	// An empty sum would compare equal to the empty output of a zero-length key.
	if err1 != nil || err2 != nil || len(sum) < minHashBytes || len(sum) > maxHashBytes {
		return false
	}
	var got []byte
	switch parts[1] {
	case "pbkdf2-sha512":
		var iter, length int
		if _, err := fmt.Sscanf(parts[2], "i=%d,l=%d", &iter, &length); err != nil || iter <= 0 || iter > maxPBKDF2Rounds {
			return false
		}
		k, err := pbkdf2.Key(sha512.New, secret, salt, iter, len(sum))
		if err != nil {
			return false
		}
		got = k
	case "argon2id", "argon2i":
		var mem, t uint32
		var p uint8
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
			return false
		}
		if t < 1 || t > maxArgon2Rounds || p < 1 || p > maxArgon2Lanes || mem < 8*uint32(p) || mem > maxArgon2MemoryKiB {
			return false
		}
		if parts[1] == "argon2id" {
			got = argon2.IDKey([]byte(secret), salt, t, mem, p, uint32(len(sum)))
		} else {
			got = argon2.Key([]byte(secret), salt, t, mem, p, uint32(len(sum)))
		}
	default:
		return false
	}
	return subtle.ConstantTimeCompare(got, sum) == 1
}
