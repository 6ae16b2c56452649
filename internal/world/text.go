package world

import (
	"strings"
	"unicode/utf8"
)

// foldTable maps letters outside ASCII to the ASCII banks print for them.
var foldTable = func() map[rune]string {
	groups := []struct{ from, to string }{
		{"ÀÁÂÃÅĀĂĄ", "A"}, {"àáâãåāăą", "a"}, {"Ä", "AE"}, {"ä", "ae"},
		{"ÇĆĈĊČ", "C"}, {"çćĉċč", "c"}, {"ĎĐ", "D"}, {"ďđ", "d"},
		{"ÈÉÊËĒĔĖĘĚ", "E"}, {"èéêëēĕėęě", "e"}, {"ĜĞĠĢ", "G"}, {"ĝğġģ", "g"},
		{"ÌÍÎÏĨĪĬĮİ", "I"}, {"ìíîïĩīĭįı", "i"}, {"ĹĻĽĿŁ", "L"}, {"ĺļľŀł", "l"},
		{"ÑŃŅŇ", "N"}, {"ñńņň", "n"}, {"ÒÓÔÕŌŎŐ", "O"}, {"òóôõōŏő", "o"},
		{"ÖØ", "OE"}, {"öø", "oe"}, {"ŔŖŘ", "R"}, {"ŕŗř", "r"}, {"ŚŜŞŠ", "S"},
		{"śŝşš", "s"}, {"ŢŤ", "T"}, {"ţť", "t"}, {"ÙÚÛŨŪŬŮŰŲ", "U"},
		{"ùúûũūŭůűų", "u"}, {"Ü", "UE"}, {"ü", "ue"}, {"ÝŸ", "Y"}, {"ýÿ", "y"},
		{"ŹŻŽ", "Z"}, {"źżž", "z"}, {"ß", "ss"}, {"Æ", "AE"}, {"æ", "ae"},
		{"Œ", "OE"}, {"œ", "oe"}, {"Þ", "TH"}, {"þ", "th"},
	}
	m := make(map[rune]string, 256)
	for _, g := range groups {
		for _, r := range g.from {
			m[r] = g.to
		}
	}

	return m
}()

// asciiFold returns s in printable ASCII: accented letters lose their accents
// (ü becomes ue, ß ss), other characters become spaces.
func asciiFold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}

	if ascii {
		return s
	}

	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0x20 && r <= 0x7E:
			b.WriteRune(r)
		case foldTable[r] != "":
			b.WriteString(foldTable[r])
		default:
			b.WriteByte(' ')
		}
	}

	return b.String()
}

// bankName returns name as a fixed-width bank field shows it: ASCII, upper
// case, cut to width characters.
func bankName(name string, width int) string {
	s := strings.ToUpper(asciiFold(name))
	if len(s) > width {
		s = strings.TrimRight(s[:width], " ")
	}

	return s
}

// cutRunes returns s cut to at most n characters.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}

	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}

		i++
	}

	return s
}
