package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argonParams are argon2id's cost parameters, written into every hash so that
// changing them later leaves older hashes verifiable.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	keyLen  uint32
}

// hashParams are the parameters of new hashes: 19 MiB, two passes, one lane, the
// OWASP baseline for argon2id.
var hashParams = argonParams{memory: 19 * 1024, time: 2, threads: 1, keyLen: 32}

const saltLen = 16

// ErrHash is returned for a stored hash that is not an argon2id hash o2c can verify.
var ErrHash = errors.New("not an argon2id password hash")

// HashPassword returns password's argon2id hash with a fresh random salt, encoded as
// $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$KEY (base64 without padding).
func HashPassword(password string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails

	return encodeHash(hashParams, salt, derive(password, salt, hashParams))
}

func derive(password string, salt []byte, p argonParams) []byte {
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
}

func encodeHash(p argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding

	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory,
		p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches encoded, comparing in constant
// time. stale is true when the hash was made with other parameters than new hashes
// use, so the caller may store a fresh one.
func VerifyPassword(password, encoded string) (ok, stale bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}

	got := derive(password, salt, p)
	ok = subtle.ConstantTimeCompare(got, key) == 1

	return ok, p != hashParams, nil
}

// decodeHash parses an encoded hash, refusing parameters outside sane bounds so that a
// corrupt row cannot make one login allocate gigabytes.
func decodeHash(encoded string) (argonParams, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argonParams{}, nil, nil, ErrHash
	}

	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil ||
		version != argon2.Version {
		return argonParams{}, nil, nil, ErrHash
	}

	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time,
		&p.threads); err != nil {
		return argonParams{}, nil, nil, ErrHash
	}

	b64 := base64.RawStdEncoding

	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return argonParams{}, nil, nil, ErrHash
	}

	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return argonParams{}, nil, nil, ErrHash
	}

	p.keyLen = uint32(len(key))

	if p.memory < 8 || p.memory > 1<<20 || p.time < 1 || p.time > 16 || p.threads < 1 ||
		p.threads > 16 || len(salt) < 8 || len(salt) > 64 || len(key) < 16 ||
		len(key) > 128 {
		return argonParams{}, nil, nil, ErrHash
	}

	return p, salt, key, nil
}

// decoy is a hash of a random password, verified when a login names no user so that
// the answer takes as long as for a real user with a wrong password.
var decoy = sync.OnceValue(func() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)

	return HashPassword(base64.RawStdEncoding.EncodeToString(b))
})
