package hubspot

import (
	"context"
	"time"
)

// SetSleep replaces how the client waits between retries, so tests can record delays
// without spending them.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) {
	c.sleep = sleep
}

// CursorWindow decodes a cursor into its search lower bound and the deal ids it
// remembers.
func CursorWindow(s string) (from time.Time, ids []string, err error) {
	c, err := decodeCursor(s)
	if err != nil {
		return time.Time{}, nil, err
	}

	return time.UnixMilli(c.From).UTC(), c.seenIDs(), nil
}
