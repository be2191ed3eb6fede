// Package bus is open110's event bus: NATS, embedded in the process by
// default, an external server or cluster when configured.
//
// The database is the source of truth (DESIGN §3). The bus only carries
// wake-ups ("centre 130102's queue changed") and live events; a subscriber
// that misses a message, or reconnects, re-syncs from the database with a
// cursor. So Publish is fire-and-forget and nothing here retries or acks.
//
// Design decisions:
//
//   - One function, Open, chooses embedded (Config.URL == "") or external
//     (Config.URL = "nats://…[,nats://…]"); everything above it sees the same
//     Bus interface.
//   - Embedded: nats-server runs in-process with JetStream on, its store in
//     DataDir/nats, and no TCP listener (DontListen); the client connects
//     through an in-memory pipe (nats.InProcessServer). Config.Listen opts in
//     to a TCP listener when another process must reach the embedded server;
//     NATS.ClientURL then returns its URL. The server's own log goes through
//     slog (notices at Debug), it installs no signal handlers, and a start-up
//     failure becomes an error from Open instead of exiting the process.
//   - External: Open fails if no server answers at start (a wrong --nats is a
//     configuration error worth failing on), then the connection reconnects
//     forever, pings every 10 s so a dead path is noticed in ~30 s, and logs
//     disconnects and reconnects with slog.
//   - Publishing while disconnected buffers in nats.go's reconnect buffer,
//     bounded to ReconnectBufferSize (8 MiB); past that Publish returns an
//     error. Buffered messages go out on reconnect; subscriptions are re-sent
//     by nats.go.
//   - Subscribe returns after the server has the interest, so subscribe-then-
//     publish works across connections. Each subscription has its own delivery
//     goroutine (nats.go's async subscription); a handler that falls behind the
//     pending limits loses messages (logged as a slow consumer), which is
//     acceptable because messages are wake-ups.
//   - Ping fails at once while disconnected, so /readyz answers quickly in an
//     outage.
//   - Durable streams, where a feature needs one, come from NATS.JetStream on
//     the concrete type returned by OpenNATS.
package bus
