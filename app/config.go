package app

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"open110/platform/db"
)

// Config is the whole of `open110 serve`'s configuration. Every field is a
// flag and an OPEN110_<NAME> environment variable (flag wins); defaults sit
// beside the fields. Secrets are masked by String.
type Config struct {
	Addr        string        // --addr, default 127.0.0.1:8110
	Data        string        // --data, default ./data
	DB          string        // --db, default SQLite in the data dir; postgres://… selects PostgreSQL
	NATS        string        // --nats, default embedded; nats://… selects an external server
	Blob        string        // --blob, default files in the data dir; s3://… selects object storage
	Demo        bool          // --demo, load Hebei demo data and accounts and print them
	RequireTOTP bool          // --require-totp, supervisors and admins must use TOTP
	PublicURL   string        // --public-url, how citizens reach us (links in SMS, QR poster); default http://<addr>
	NodeURL     string        // --node-url, how the other nodes reach this one (media pinning); default http://<addr>, or http://<hostname>:<port> when listening on all interfaces
	Secret      string        // --secret, server key (hex); default generated once in <data>/secret.key
	SMSGateway  string        // --sms-gateway, carrier HTTP gateway URL; default the file outbox <data>/sms-outbox.jsonl
	SMSSecret   string        // --sms-secret, HMAC secret shared with the SMS gateway (outbound and the 12110 callback)
	TrustProxy  string        // --trust-proxy, comma-separated CIDRs whose X-Forwarded-For is believed
	LogLevel    string        // --log-level, debug|info|warn|error, default info
	LogFormat   string        // --log-format, text|json, default text
	ShutdownT   time.Duration // --shutdown-timeout, default 10s

	// Live media (WebRTC). Defaults suit one node on one host; a deployment
	// behind NAT sets the public IPs and TURN.
	MediaUDP       string // --media-udp, one UDP socket for all media, e.g. 0.0.0.0:8112; default a port per peer
	MediaTCP       string // --media-tcp, ICE-TCP listener for networks that block UDP, e.g. 0.0.0.0:8112
	MediaPublicIPs string // --media-public-ips, comma-separated IPs announced as host candidates (1:1 NAT)
	MediaLoopback  bool   // --media-loopback, offer 127.0.0.1 candidates (on by default when --addr is loopback)
	TURNAddr       string // --turn-addr, embedded TURN server on UDP and TCP, e.g. 0.0.0.0:3478; default off
	TURNPublicIP   string // --turn-public-ip, relay address announced to clients
	TURNSecret     string // --turn-secret, credential secret; default derived from the server secret
	ICEServers     string // --ice-servers, extra STUN/TURN servers as JSON [{"urls":[…],"username":…,"credential":…}]

	// Set by tests and embedders, not by flags.
	Now func() time.Time // clock; nil means time.Now
}

// Flags binds cfg to fs with environment defaults.
func (c *Config) Flags(fs *flag.FlagSet) {
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, env(name, def), usage+" (env "+envName(name)+")")
	}
	boolean := func(p *bool, name string, usage string) {
		def := false
		if v, ok := os.LookupEnv(envName(name)); ok {
			def = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
		}
		fs.BoolVar(p, name, def, usage+" (env "+envName(name)+")")
	}
	str(&c.Addr, "addr", "127.0.0.1:8110", "listen address")
	str(&c.Data, "data", "./data", "data directory")
	str(&c.DB, "db", "", "database: empty for SQLite in the data dir, or a postgres:// URL")
	str(&c.NATS, "nats", "", "event bus: empty for an embedded NATS server, or nats:// URL(s)")
	str(&c.Blob, "blob", "", "evidence store: empty for files in the data dir, or an s3:// URL")
	boolean(&c.Demo, "demo", "load Hebei demo data and demo accounts, and print them")
	boolean(&c.RequireTOTP, "require-totp", "require TOTP for supervisors and admins")
	str(&c.PublicURL, "public-url", "", "public base URL for links and the QR poster (default http://<addr>)")
	str(&c.NodeURL, "node-url", "", "this node's URL as the other nodes of a cluster reach it (an alarm's media is served by one node; default http://<addr>, or http://<hostname>:<port> on 0.0.0.0)")
	str(&c.Secret, "secret", "", "server secret key, hex (default: generated in <data>/secret.key)")
	str(&c.SMSGateway, "sms-gateway", "", "SMS gateway URL (default: file outbox <data>/sms-outbox.jsonl)")
	str(&c.SMSSecret, "sms-secret", "", "HMAC secret shared with the SMS gateway")
	str(&c.TrustProxy, "trust-proxy", "", "comma-separated CIDRs of reverse proxies to trust for X-Forwarded-For")
	str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	str(&c.LogFormat, "log-format", "text", "log format: text or json")
	d := 10 * time.Second
	if v, ok := os.LookupEnv(envName("shutdown-timeout")); ok {
		if p, err := time.ParseDuration(v); err == nil {
			d = p
		}
	}
	fs.DurationVar(&c.ShutdownT, "shutdown-timeout", d, "graceful shutdown timeout (env OPEN110_SHUTDOWN_TIMEOUT)")
	str(&c.MediaUDP, "media-udp", "", "one UDP socket for all WebRTC media, e.g. 0.0.0.0:8112 (default: a port per peer)")
	str(&c.MediaTCP, "media-tcp", "", "ICE-TCP listener for networks that block UDP, e.g. 0.0.0.0:8112")
	str(&c.MediaPublicIPs, "media-public-ips", "", "comma-separated public IPs announced as host candidates (1:1 NAT)")
	boolean(&c.MediaLoopback, "media-loopback", "offer loopback ICE candidates (automatic when --addr is loopback)")
	str(&c.TURNAddr, "turn-addr", "", "embedded TURN server address (UDP and TCP), e.g. 0.0.0.0:3478")
	str(&c.TURNPublicIP, "turn-public-ip", "", "relay IP the TURN server announces")
	str(&c.TURNSecret, "turn-secret", "", "TURN credential secret (default: derived from the server secret)")
	str(&c.ICEServers, "ice-servers", "", `extra ICE servers as JSON, e.g. [{"urls":["turns:turn.example:443?transport=tcp"],"username":"u","credential":"p"}]`)
}

func envName(flag string) string {
	return "OPEN110_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func env(flag, def string) string {
	if v, ok := os.LookupEnv(envName(flag)); ok {
		return v
	}
	return def
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8110"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %w", c.Addr, err))
	}
	if c.Data == "" {
		c.Data = "./data"
	}
	switch {
	case c.DB == "", strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"), strings.HasPrefix(c.DB, "sqlite:"):
	default:
		errs = append(errs, fmt.Errorf("--db %q: want empty (SQLite) or a postgres:// URL", db.Redact(c.DB)))
	}
	if c.NATS != "" {
		for _, u := range strings.Split(c.NATS, ",") {
			if !strings.HasPrefix(strings.TrimSpace(u), "nats://") && !strings.HasPrefix(strings.TrimSpace(u), "tls://") {
				errs = append(errs, fmt.Errorf("--nats %q: want empty (embedded) or nats:// URLs", db.Redact(c.NATS)))
				break
			}
		}
	}
	if c.Blob != "" && !strings.HasPrefix(c.Blob, "s3://") {
		errs = append(errs, fmt.Errorf("--blob %q: want empty (files) or an s3:// URL", db.Redact(c.Blob)))
	}
	if c.NodeURL != "" {
		if u, err := url.Parse(c.NodeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("--node-url %q: want http(s)://host:port", c.NodeURL))
		}
	}
	if c.SMSGateway != "" && c.SMSSecret == "" {
		errs = append(errs, errors.New("--sms-gateway needs --sms-secret to sign requests"))
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if c.ICEServers != "" && !json.Valid([]byte(c.ICEServers)) {
		errs = append(errs, errors.New("--ice-servers must be a JSON array"))
	}
	if c.ShutdownT <= 0 {
		c.ShutdownT = 10 * time.Second
	}
	return errors.Join(errs...)
}

func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustProxy, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--trust-proxy %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// String is the effective configuration with secrets masked, for the log.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "xxxxx"
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	ice := "none"
	if c.ICEServers != "" {
		ice = "set(credentials masked)"
	}
	return fmt.Sprintf("addr=%s data=%s db=%s nats=%s blob=%s demo=%t require_totp=%t public_url=%s node_url=%s secret=%s sms_gateway=%s sms_secret=%s trust_proxy=%s log=%s/%s "+
		"media_udp=%s media_tcp=%s media_public_ips=%s turn=%s turn_public_ip=%s turn_secret=%s ice_servers=%s",
		c.Addr, c.Data, or(db.Redact(c.DB), "sqlite(data)"), or(db.Redact(c.NATS), "embedded"), or(db.Redact(c.Blob), "files(data)"),
		c.Demo, c.RequireTOTP, c.PublicURL, or(c.NodeURL, "(from-addr)"), or(mask(c.Secret), "file(data)"), or(db.Redact(c.SMSGateway), "outbox(data)"), mask(c.SMSSecret),
		c.TrustProxy, c.LogLevel, c.LogFormat,
		or(c.MediaUDP, "per-peer"), c.MediaTCP, c.MediaPublicIPs, or(c.TURNAddr, "off"), c.TURNPublicIP, or(mask(c.TURNSecret), "derived"), ice)
}
