package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashVerifiesAndIsNotPlain(t *testing.T) {
	t.Parallel()

	const pw = "tr3asury-uploads-daily"

	h1, h2 := HashPassword(pw), HashPassword(pw)
	if strings.Contains(h1, pw) || !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: want an encoded argon2id hash without the password", h1)
	}

	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}

	for _, h := range []string{h1, h2} {
		ok, stale, err := VerifyPassword(pw, h)
		if !ok || stale || err != nil {
			t.Errorf("verify the right password: %v %v %v", ok, stale, err)
		}

		ok, _, err = VerifyPassword(pw+"x", h)
		if ok || err != nil {
			t.Errorf("verify a wrong password: %v %v", ok, err)
		}
	}
}

func TestPasswordHashWithOtherParametersIsStale(t *testing.T) {
	t.Parallel()

	old := argonParams{memory: 4096, time: 3, threads: 2, keyLen: 32}
	salt := []byte("sixteen byte slt")
	h := encodeHash(old, salt, derive("an older password", salt, old))

	ok, stale, err := VerifyPassword("an older password", h)
	if !ok || !stale || err != nil {
		t.Errorf("older parameters: ok %v stale %v err %v, want true true nil", ok, stale, err)
	}
}

func TestPasswordHashRefusesMalformedOrCostlyHashes(t *testing.T) {
	t.Parallel()

	good := HashPassword("whatever password")
	parts := strings.Split(good, "$")

	bad := map[string]string{
		"plain text":     "whatever password",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16":     strings.Replace(good, "v=19", "v=16", 1),
		"4 GiB of RAM":   strings.Replace(good, "m=19456", "m=4194304", 1),
		"100 passes":     strings.Replace(good, "t=2", "t=100", 1),
		"bad salt":       strings.Join(append(parts[:4:4], "!!!", parts[5]), "$"),
		"short key":      strings.Join(append(parts[:5:5], "AAAA"), "$"),
		"missing fields": strings.Join(parts[:5], "$"),
	}

	for name, h := range bad {
		if ok, _, err := VerifyPassword("whatever password", h); ok || err == nil {
			t.Errorf("%s: ok %v err %v, want ErrHash", name, ok, err)
		}
	}
}

func TestCanTable(t *testing.T) {
	t.Parallel()

	// The permission table, written out: a change to it must change this test.
	want := map[Role]string{
		RoleAdmin:    "read upload resolve approve tokens admin",
		RoleTreasury: "read upload tokens",
		RoleOps:      "read resolve approve tokens",
		RoleViewer:   "read tokens",
		Role("root"): "",
	}

	all := []Action{ActionRead, ActionUpload, ActionResolve, ActionApprove, ActionTokens,
		ActionAdmin}

	for role, list := range want {
		allowed := map[Action]bool{}
		for _, a := range strings.Fields(list) {
			allowed[Action(a)] = true
		}

		for _, a := range all {
			if Can(role, a) != allowed[a] {
				t.Errorf("Can(%s, %s) = %v, want %v", role, a, Can(role, a), allowed[a])
			}
		}
	}

	// Admin may do whatever another role may; every role may read.
	for _, r := range Roles() {
		for _, a := range Permissions(r) {
			if !Can(RoleAdmin, a) {
				t.Errorf("admin may not %s, which %s may", a, r)
			}
		}

		if !Can(r, ActionRead) {
			t.Errorf("%s may not read", r)
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()

	for _, ok := range []string{"ana", "ops.lead", "t-1", "ana@example.org", "9lives",
		strings.Repeat("a", 64)} {
		if err := CheckName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}

	for _, bad := range []string{"", "Ana", ".ana", "ana bob", "api", "cli", "anonymous",
		"config", strings.Repeat("a", 65), "an\u00e4", "a\x00b", "a:b"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()

	for _, r := range Roles() {
		if got, err := ParseRole(string(r)); got != r || err != nil {
			t.Errorf("ParseRole(%s) = %q, %v", r, got, err)
		}
	}

	if _, err := ParseRole("Admin"); err == nil {
		t.Error("ParseRole(Admin) accepted")
	}
}
