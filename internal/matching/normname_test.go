package matching

import (
	"strings"
	"testing"
	"unicode"
)

// normalizeNameFields is NormalizeName written the plain way, with
// strings.Fields and strings.Join: the reference the faster one must agree with.
func normalizeNameFields(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r == '\'' || r == '.' || r == '\u2019':
			continue
		case r == '&':
			b.WriteString(" AND ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
		default:
			b.WriteByte(' ')
		}
	}

	words := strings.Fields(b.String())
	if len(words) == 0 {
		return ""
	}

	all := words
	if len(words) > 1 && words[0] == "THE" {
		words = words[1:]
	}

	end := len(words)
	for end > 0 && legalSuffixes[words[end-1]] {
		end--
		if end > 0 && end < len(words) && words[end-1] == "AND" {
			end--
		}
	}

	if end == 0 {
		return strings.Join(all, " ")
	}

	return strings.Join(words[:end], " ")
}

// TestNormalizeNameAgreesWithFields compares NormalizeName with the plain
// version on names built from company words, legal forms, punctuation, accents
// and invalid bytes, with up to 24 words.
func TestNormalizeNameAgreesWithFields(t *testing.T) {
	parts := []string{"the", "The", "ACME", "Widgets", "&", "and", "Co", "Inc.", "L.L.C.",
		"GmbH", "B.V.", " ", "  ", ",", "-", "'", "\u2019", "Société", "Ærø", "Ünïcode",
		"\u00a0", "\t", "\xff", "Ltd", "SA", "AND", "x", "42", "日本", "ǅ", "ß"}
	seed := uint64(3)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int(seed>>33) % n
	}

	for range 50000 {
		var b strings.Builder
		for range next(25) {
			b.WriteString(parts[next(len(parts))])
			if next(3) > 0 {
				b.WriteByte(' ')
			}
		}

		in := b.String()
		if got, want := NormalizeName(in), normalizeNameFields(in); got != want {
			t.Fatalf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
