package bankcsv

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// occurrences numbers the rows of one file that share a key, so that two
// identical rows (the same payment twice on one day) both count: the second
// gets "~2". It keeps an 8-byte hash per key, not the keys.
type occurrences struct {
	seen  map[uint64]struct{}
	count map[uint64]int
}

func newOccurrences() occurrences {
	return occurrences{seen: map[uint64]struct{}{}, count: map[uint64]int{}}
}

// key returns k, with its occurrence number from the second time on.
func (o *occurrences) key(k string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(k))
	sum := h.Sum64()

	if _, dup := o.seen[sum]; !dup {
		o.seen[sum] = struct{}{}
		return k
	}

	n := o.count[sum]
	if n == 0 {
		n = 1
	}

	n++
	o.count[sum] = n

	return k + "~" + strconv.Itoa(n)
}

// dedupeBase is the stable part of a row's key, made of parsed values only, so
// that the same transaction exported again in another layout (date format,
// thousands separators, column order, quoting, delimiter) gets the same key:
//
//   - with a transaction id column: account + id (+ serial number); without an
//     account, also a hash of the dates and signed amount, since two banks'
//     exports may both use "TID1";
//   - without one: account + a hash of booking date, value date, signed amount,
//     currency, the payer's account and the words of every text column (payer,
//     description, references), sorted.
//
// Running balance, status and type columns are left out: they change between
// exports of the same transaction.
func (s *scan) dedupeBase(t *bankfile.Transaction, cells []string) string {
	if id := s.lay.cell(cells, roleTxID); id != "" {
		key := "csv:" + t.Account + ":" + id
		if s.lay.has(roleSerial) {
			key += ":" + s.lay.cell(cells, roleSerial)
		}

		if t.Account == "" {
			key += ":" + hashOf(6, moneyParts(t)...)
		}

		return key
	}

	var words []string

	for _, c := range s.lay.cols {
		switch c.role {
		case rolePayer, rolePayerID, roleDescription, roleReference, roleInvoice, roleEndToEnd,
			roleOriginalRef:
			if c.index < len(cells) {
				words = append(words, strings.Fields(normalise(cells[c.index]))...)
			}
		}
	}

	slices.Sort(words)

	parts := append(moneyParts(t), compact(t.PayerAccount), strings.Join(words, " "))

	return "csv:" + t.Account + ":h:" + hashOf(10, parts...)
}

// moneyParts are the dates, signed amount and currency of t as text.
func moneyParts(t *bankfile.Transaction) []string {
	return []string{isoDay(t.BookingDate), isoDay(t.ValueDate), string(t.Direction),
		strconv.FormatInt(t.Amount.Minor, 10), t.Amount.Currency}
}

func isoDay(d time.Time) string {
	if d.IsZero() {
		return ""
	}

	return d.Format(time.DateOnly)
}

// hashOf returns the first n bytes of the SHA-256 of parts, in hex.
func hashOf(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(sum[:n])
}
