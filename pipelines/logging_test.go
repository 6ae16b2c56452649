package pipelines

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

func TestBusLoggerQuietensLifecycleAndShutdownOnly(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	l := busLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))

	l.Info("Subscriber stopped", nil)
	l.Error("Error querying for message", errors.New("could not begin tx: context canceled"), nil)
	l.Error("Handler failed", errors.New("insert payment: deadlock detected"),
		watermill.LogFields{"topic": "t"})

	out := buf.String()
	if strings.Contains(out, "Subscriber stopped") || strings.Contains(out, "context canceled") {
		t.Errorf("lifecycle or shutdown noise logged at info:\n%s", out)
	}

	if !strings.Contains(out, "deadlock detected") || !strings.Contains(out, "level=ERROR") {
		t.Errorf("real failure not logged as an error:\n%s", out)
	}
}
