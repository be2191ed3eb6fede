package deps
import (
 _ "modernc.org/sqlite"
 _ "github.com/jackc/pgx/v5/stdlib"
 _ "github.com/nats-io/nats-server/v2/server"
 _ "github.com/nats-io/nats.go"
 _ "github.com/minio/minio-go/v7"
 _ "github.com/pion/webrtc/v4"
 _ "github.com/coder/websocket"
 _ "golang.org/x/crypto/argon2"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/chromedp/chromedp"
)
