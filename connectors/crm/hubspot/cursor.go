package hubspot

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// cursorVersion is the version of the cursor layout written by this package.
const cursorVersion = 1

// cursor is the sync position between two pulls. Times are hs_lastmodifieddate values in
// Unix milliseconds.
//
// The next pull searches deals with hs_lastmodifieddate >= From. Seen lists every deal
// already delivered (or reported as a problem) whose timestamp is at or after From, so
// that deals re-read inside the window are dropped while deals that reached the search
// index late are delivered. From trails Newest by the configured overlap, and moves
// forward further when Seen would exceed its bound.
type cursor struct {
	Version int              `json:"v"`
	Newest  int64            `json:"n"`           // newest timestamp delivered so far
	From    int64            `json:"f"`           // lower bound of the next search
	Seen    map[string]int64 `json:"s,omitempty"` // deal id → timestamp − From
}

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{Version: cursorVersion}, nil
	}

	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("%w: not base64url", ErrCursor)
	}

	var c cursor
	if err := json.Unmarshal(data, &c); err != nil {
		return cursor{}, fmt.Errorf("%w: %v", ErrCursor, err)
	}

	if c.Version != cursorVersion {
		return cursor{}, fmt.Errorf("%w: version %d", ErrCursor, c.Version)
	}

	if c.From < 0 || c.Newest < 0 {
		return cursor{}, fmt.Errorf("%w: negative time", ErrCursor)
	}

	for id, off := range c.Seen {
		if off < 0 || !isNumeric(id) {
			return cursor{}, fmt.Errorf("%w: bad entry for deal %q", ErrCursor, id)
		}
	}

	return c, nil
}

func (c cursor) encode() string {
	data, err := json.Marshal(c)
	if err != nil {
		// A struct of ints and a string map always marshals.
		panic(err)
	}

	return base64.RawURLEncoding.EncodeToString(data)
}

// seen returns the delivered deals as deal id → timestamp.
func (c cursor) seen() map[string]int64 {
	out := make(map[string]int64, len(c.Seen))
	for id, off := range c.Seen {
		out[id] = c.From + off
	}

	return out
}

// advance returns the cursor after a pull that saw newest as the latest timestamp and
// seen as every deal delivered, in this pull or before.
func (c cursor) advance(newest int64, seen map[string]int64, overlap time.Duration,
	maxIDs int) cursor {
	newest = max(newest, c.Newest)
	from := max(newest-overlap.Milliseconds(), c.From, 0)

	type entry struct {
		id string
		ms int64
	}

	var keep []entry
	for id, ms := range seen {
		if ms >= from {
			keep = append(keep, entry{id, ms})
		}
	}

	if len(keep) > maxIDs {
		// Keep the newest timestamps whole: a timestamp is either fully remembered or
		// fully outside the next search window, never split.
		slices.SortFunc(keep, func(a, b entry) int { return cmp.Compare(b.ms, a.ms) })

		cut := maxIDs
		for cut > 0 && keep[cut].ms == keep[cut-1].ms {
			cut--
		}

		from = keep[cut].ms + 1
		keep = keep[:cut]
	}

	next := cursor{Version: cursorVersion, Newest: newest, From: from}
	if len(keep) > 0 {
		next.Seen = make(map[string]int64, len(keep))
		for _, e := range keep {
			next.Seen[e.id] = e.ms - from
		}
	}

	return next
}

// seenIDs returns the ids in the cursor, sorted, for tests and diagnostics.
func (c cursor) seenIDs() []string {
	return slices.Sorted(maps.Keys(c.Seen))
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}

	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return true
}
