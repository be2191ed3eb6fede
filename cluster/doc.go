// Package cluster runs open110 the way a province does: several real
// `open110 serve` processes sharing PostgreSQL, a NATS server with
// JetStream and an S3-compatible object store, all on loopback. Its tests
// prove that a caller on one node and a dispatcher on another see each
// other, that no acknowledged alarm or chat message is lost when a node is
// SIGKILLed and NATS and PostgreSQL restart, that memory, goroutines and
// open files stay flat over a soak, that secrets never reach the logs, and
// that every endpoint answers every kind of caller as the table in
// authz_table.go says.
//
// The harness (this package's non-test files) is also used by the
// programs under bench/cluster.
//
// Parts and why:
//
//   - PostgreSQL: for the fault tests a private cluster (initdb + pg_ctl as
//     the postgres user, its own port and socket dir) so restarting it does
//     not disturb anyone else's tests; the plain multi-node test uses a
//     fresh database on OPEN110_TEST_POSTGRES.
//   - NATS: a private nats-server -js process (restartable), or
//     OPEN110_TEST_NATS when a test does not restart it.
//   - Object store: gofakes3 (github.com/johannesboyne/gofakes3, already
//     used by platform/blob's tests) serving the S3 REST API over real HTTP
//     on 127.0.0.1. It is a Go library from the module proxy, starts in
//     milliseconds and needs no install step in CI; the nodes reach it only
//     through minio-go, exactly as they would reach MinIO, Ceph RGW or a
//     cloud bucket. SeaweedFS (also in the module proxy) was the heavier
//     alternative: a multi-process server with its own volume and filer
//     services, minutes of build time and hundreds of MB of memory on a
//     2-core machine, for no extra coverage of our S3 client code.
//   - Nodes: the real binary, built once per test process
//     (`go build ./cmd/open110`), each with its own data dir and the same
//     --secret and identity key file (required when nodes share a
//     database), started with --demo so the demo officers exist.
package cluster
