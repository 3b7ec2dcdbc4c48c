package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 10

// MaxPasswordLen bounds a password in bytes, so a huge body cannot be fed
// to the hash.
const MaxPasswordLen = 1024

// Params are argon2id parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams: 64 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte hash.
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters read back from a stored hash, so a damaged or hostile
// row cannot make verification allocate without limit.
const (
	maxMemory = 4 << 20 // KiB = 4 GiB
	maxTime   = 64
)

var b64 = base64.RawStdEncoding

// ValidatePassword checks a new password's length. It never repeats the
// password in its error.
func ValidatePassword(pw string) error {
	if len(pw) > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return ErrPasswordTooShort
	}
	return nil
}

// HashPassword hashes pw with argon2id and a fresh random salt and returns
// the PHC string. It does not apply ValidatePassword.
func HashPassword(pw string, p Params) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("auth: 密码哈希参数无效 / invalid argon2id parameters m=%d t=%d p=%d", p.Memory, p.Time, p.Threads)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: 生成盐失败 / read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

var errBadHash = errors.New("auth: 密码哈希格式无效 / malformed password hash")

// parsePHC reads "$argon2id$v=19$m=M,t=T,p=P$salt$hash". Errors never quote
// the input.
func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("%w: unsupported version", errBadHash)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return h, errBadHash
		}
		seen[k] = true
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return h, errBadHash
			}
			h.params.Threads = uint8(n)
		default:
			return h, errBadHash
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] ||
		h.params.Memory == 0 || h.params.Memory > maxMemory ||
		h.params.Time == 0 || h.params.Time > maxTime || h.params.Threads == 0 ||
		h.params.Memory < 8*uint32(h.params.Threads) {
		return h, fmt.Errorf("%w: parameters out of range", errBadHash)
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("%w: salt", errBadHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 128 {
		return h, fmt.Errorf("%w: hash", errBadHash)
	}
	h.params.SaltLen = uint32(len(h.salt))
	h.params.KeyLen = uint32(len(h.key))
	return h, nil
}

// VerifyPassword reports whether pw matches the PHC string hash, comparing
// in constant time. needsRehash is true when the hash is weaker than want
// (any parameter lower), so the caller can store a fresh hash.
func VerifyPassword(hash, pw string, want Params) (ok, needsRehash bool, err error) {
	h, err := parsePHC(hash)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	ok = subtle.ConstantTimeCompare(got, h.key) == 1
	p := h.params
	needsRehash = p.Memory < want.Memory || p.Time < want.Time || p.Threads < want.Threads ||
		p.SaltLen < want.SaltLen || p.KeyLen < want.KeyLen
	return ok, needsRehash, nil
}
