package bus

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// serverLog routes the embedded nats-server's log through slog. The server's
// notices (startup banner lines, JetStream limits) are Debug: they are
// interesting when debugging the bus, noise on every start of open110.
type serverLog struct {
	log   *slog.Logger
	fatal atomic.Pointer[string] // last Fatalf: the server reports start-up failures this way
}

func (l *serverLog) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *serverLog) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *serverLog) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Debugf(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l *serverLog) Tracef(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }

// Fatalf must not exit the process (the library logger would): the server
// calls it on start-up failures, and startEmbedded turns it into an error.
func (l *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.fatal.Store(&msg)
	l.log.Error(msg)
}

func (l *serverLog) emit(level slog.Level, format string, v []any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
}

// splitHostPort parses Config.Listen; port -1 means "any free port".
func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, fmt.Errorf("bus: listen address %q: %w", hp, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("bus: listen address %q: bad port", hp)
	}
	if port == 0 {
		port = -1 // nats-server reads 0 as "default 4222"; we mean "any"
	}
	return host, port, nil
}

// redactURL hides passwords and tokens in a (possibly comma-separated)
// server URL list before it goes into an error or a log line.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "<invalid url>"
			continue
		}
		parts[i] = u.Redacted()
		if u.User != nil {
			if _, hasPw := u.User.Password(); !hasPw {
				// A bare token in the user part is a secret too.
				u.User = url.User("xxxxx")
				parts[i] = u.String()
			}
		}
	}
	return strings.Join(parts, ",")
}
