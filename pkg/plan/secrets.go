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

// verifyPHC checks secret against a PHC-format hash ($alg$params$salt$hash).
func verifyPHC(secret, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) < 5 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[len(parts)-2])
	sum, err2 := enc.DecodeString(parts[len(parts)-1])
	if err1 != nil || err2 != nil {
		return false
	}
	var got []byte
	switch parts[1] {
	case "pbkdf2-sha512":
		var iter, length int
		if _, err := fmt.Sscanf(parts[2], "i=%d,l=%d", &iter, &length); err != nil || iter <= 0 {
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
