package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// fastParams keep tests quick; DefaultParams are exercised once.
var fastParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPHCFormat(t *testing.T) {
	const pw = "correct horse battery"
	h, err := HashPassword(pw, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Fatalf("hash %q is not the expected PHC string", h)
	}
	if strings.Contains(h, pw) {
		t.Fatal("hash contains the password")
	}
	p, err := parsePHC(h)
	if err != nil {
		t.Fatal(err)
	}
	if p.params != DefaultParams {
		t.Fatalf("parsed params %+v, want %+v", p.params, DefaultParams)
	}
	ok, rehash, err := VerifyPassword(h, pw, DefaultParams)
	if err != nil || !ok || rehash {
		t.Fatalf("verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, _ := VerifyPassword(h, pw+"x", DefaultParams); ok {
		t.Fatal("wrong password verified")
	}
}

func TestHashSaltedAndRehash(t *testing.T) {
	const pw = "0123456789"
	a, _ := HashPassword(pw, fastParams)
	b, _ := HashPassword(pw, fastParams)
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, h := range []string{a, b} {
		if strings.Contains(h, pw) {
			t.Fatal("hash contains the password")
		}
		ok, rehash, err := VerifyPassword(h, pw, DefaultParams)
		if err != nil || !ok || !rehash {
			t.Fatalf("verify weak hash against defaults = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
	}
}

func TestParsePHCRejects(t *testing.T) {
	secret := "c2VjcmV0c2VjcmV0" // would be echoed if errors quoted input
	bad := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + secret + "$" + secret + secret,
		"$argon2id$v=16$m=64,t=1,p=1$" + secret + "$" + secret + secret,
		"$argon2id$v=19$m=64,t=1$" + secret + "$" + secret + secret,
		"$argon2id$v=19$m=64,t=1,p=1,p=1$" + secret + "$" + secret + secret,
		"$argon2id$v=19$m=99999999999,t=1,p=1$" + secret + "$" + secret + secret,
		"$argon2id$v=19$m=64,t=0,p=1$" + secret + "$" + secret + secret,
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + secret + secret,
		"$argon2id$v=19$m=64,t=1,p=1$" + secret + "$c2hvcnQ",
	}
	for _, s := range bad {
		_, err := parsePHC(s)
		if err == nil {
			t.Errorf("parsePHC(%q) accepted", s)
			continue
		}
		if !errors.Is(err, errBadHash) || strings.Contains(err.Error(), secret) {
			t.Errorf("parsePHC(%q) error %q", s, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	short := "abc123XYZ" // 9
	err := ValidatePassword(short)
	if !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("9 characters: %v", err)
	}
	if strings.Contains(err.Error(), short) || !strings.Contains(err.Error(), "密码") || !strings.Contains(err.Error(), "at least 10") {
		t.Fatalf("error %q: want bilingual, without the password", err)
	}
	if err := ValidatePassword("淘客联盟选品运营财务只"); err != nil { // 11 CJK characters
		t.Fatalf("CJK password: %v", err)
	}
	if err := ValidatePassword("一二三四五六七八九"); !errors.Is(err, ErrPasswordTooShort) { // 9 characters, 27 bytes
		t.Fatalf("9 CJK characters: %v", err)
	}
	if err := ValidatePassword(strings.Repeat("a", MaxPasswordLen+1)); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("long: %v", err)
	}
}
