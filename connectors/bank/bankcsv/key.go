package bankcsv

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
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
	k := &s.keyer

	if id := s.lay.cell(cells, roleTxID); id != "" {
		key := "csv:" + t.Account + ":" + id
		if s.lay.has(roleSerial) {
			key += ":" + s.lay.cell(cells, roleSerial)
		}

		if t.Account == "" {
			k.start()
			k.money(t)
			key += ":" + k.sum(6)
		}

		return key
	}

	k.words = k.words[:0]

	for _, c := range s.lay.cols {
		switch c.role {
		case rolePayer, rolePayerID, roleDescription, roleReference, roleInvoice, roleEndToEnd,
			roleOriginalRef:
			if c.index < len(cells) {
				for n := normalise(cells[c.index]); n != ""; {
					var w string
					w, n, _ = strings.Cut(n, " ")
					k.words = append(k.words, w)
				}
			}
		}
	}

	slices.Sort(k.words)

	k.start()
	k.money(t)
	k.part([]byte(compact(t.PayerAccount)))
	k.part(nil)

	for i, w := range k.words {
		if i > 0 {
			_, _ = k.h.Write([]byte{' '})
		}

		_, _ = k.h.Write([]byte(w))
	}

	return "csv:" + t.Account + ":h:" + k.sum(10)
}

// keyer hashes the parts of a key, separated by 0x1F, with buffers reused
// from row to row.
type keyer struct {
	h     hash.Hash
	buf   []byte
	words []string
	parts int
}

func (k *keyer) start() {
	if k.h == nil {
		k.h = sha256.New()
	}

	k.h.Reset()
	k.parts = 0
}

// part starts a new part and writes b into it.
func (k *keyer) part(b []byte) {
	if k.parts > 0 {
		_, _ = k.h.Write([]byte{0x1f})
	}

	k.parts++
	_, _ = k.h.Write(b)
}

// money writes the dates, direction, amount in minor units and currency of t.
func (k *keyer) money(t *bankfile.Transaction) {
	for _, d := range []time.Time{t.BookingDate, t.ValueDate} {
		k.buf = k.buf[:0]
		if !d.IsZero() {
			k.buf = d.AppendFormat(k.buf, time.DateOnly)
		}

		k.part(k.buf)
	}

	k.part([]byte(t.Direction))
	k.part(strconv.AppendInt(k.buf[:0], t.Amount.Minor, 10))
	k.part([]byte(t.Amount.Currency))
}

// sum returns the first n bytes of the hash in hex.
func (k *keyer) sum(n int) string {
	k.buf = k.h.Sum(k.buf[:0])
	return hex.EncodeToString(k.buf[:n])
}
