package pipelines

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ThreeDotsLabs/watermill"
)

// busLogger adapts o2c's logger for Watermill: its routine lifecycle chatter
// (schema setup, subscriber start and stop) goes to debug, and the errors its
// subscribers report while the router shuts down, which only say that the
// context was cancelled, go to debug too. Real failures stay errors.
func busLogger(l *slog.Logger) watermill.LoggerAdapter {
	quiet := slog.New(shutdownQuiet{l.Handler()})

	return watermill.NewSlogLoggerWithLevelMapping(quiet, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
}

// shutdownQuiet demotes error records whose error is a cancelled context.
type shutdownQuiet struct{ slog.Handler }

func (h shutdownQuiet) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelError || !cancelled(r) {
		return h.Handler.Handle(ctx, r)
	}

	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}

	d := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		d.AddAttrs(a)
		return true
	})

	return h.Handler.Handle(ctx, d)
}

func (h shutdownQuiet) WithAttrs(as []slog.Attr) slog.Handler {
	return shutdownQuiet{h.Handler.WithAttrs(as)}
}

func (h shutdownQuiet) WithGroup(name string) slog.Handler {
	return shutdownQuiet{h.Handler.WithGroup(name)}
}

func cancelled(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" && strings.Contains(a.Value.String(), "context canceled") {
			found = true
			return false
		}

		return true
	})

	return found
}
