package media

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/pion/turn/v5"

	"open110/account"
	"open110/platform/api"
)

// ICEServer is one entry of RTCConfiguration.iceServers as browsers take it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// turnServer is the embedded TURN relay: UDP and TCP on one port, for
// callers whose networks block direct UDP (TCP) or sit behind symmetric NATs.
type turnServer struct {
	srv    *turn.Server
	secret string
	host   string // announced address host
	port   int
}

func startTURN(cfg Config, log *slog.Logger) (*turnServer, error) {
	if cfg.TURNSecret == "" {
		return nil, fmt.Errorf("media: TURN needs a secret")
	}
	udpConn, err := net.ListenPacket("udp4", cfg.TURNAddr)
	if err != nil {
		return nil, fmt.Errorf("media: turn udp listen: %w", err)
	}
	port := udpConn.LocalAddr().(*net.UDPAddr).Port
	host, _, _ := net.SplitHostPort(cfg.TURNAddr)
	tcpLn, err := net.Listen("tcp4", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		udpConn.Close()
		return nil, fmt.Errorf("media: turn tcp listen: %w", err)
	}
	public := cfg.TURNPublicIP
	if public == "" {
		public = host
		if public == "" || public == "0.0.0.0" {
			public = "127.0.0.1"
		}
	}
	relayIP := net.ParseIP(public)
	if relayIP == nil {
		udpConn.Close()
		tcpLn.Close()
		return nil, fmt.Errorf("media: TURN public IP %q is not an IP", public)
	}
	bind := host
	if bind == "" {
		bind = "0.0.0.0"
	}
	gen := func() turn.RelayAddressGenerator {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: bind}
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: cfg.TURNRealm,
		// REST-style time-limited credentials (draft-uberti-behave-turn-rest):
		// username "<expiry unix>:<who>", password base64(HMAC-SHA1(secret,
		// username)). Nothing to store; a leaked credential dies with its TTL.
		AuthHandler:       turn.LongTermTURNRESTAuthHandler(cfg.TURNSecret, nil),
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udpConn, RelayAddressGenerator: gen()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: tcpLn, RelayAddressGenerator: gen()}},
	})
	if err != nil {
		udpConn.Close()
		tcpLn.Close()
		return nil, fmt.Errorf("media: turn server: %w", err)
	}
	log.Info("media: TURN listening", "udp", udpConn.LocalAddr(), "tcp", tcpLn.Addr(), "relay_ip", public)
	return &turnServer{srv: srv, secret: cfg.TURNSecret, host: public, port: port}, nil
}

func (t *turnServer) close() { _ = t.srv.Close() }

// credentials returns time-limited TURN credentials for who.
func (t *turnServer) credentials(who string, ttl time.Duration) (string, string) {
	u, p, _ := turn.GenerateLongTermTURNRESTCredentials(t.secret, who, ttl)
	return u, p
}

// iceServersFor returns the ICE servers (with fresh credentials for the
// embedded TURN) a client should use.
func (s *Service) iceServersFor(who string) []ICEServer {
	out := []ICEServer{}
	if s.turn != nil {
		u, p := s.turn.credentials(who, s.cfg.CredentialTTL)
		hp := net.JoinHostPort(s.turn.host, fmt.Sprint(s.turn.port))
		out = append(out,
			ICEServer{URLs: []string{"stun:" + hp}},
			ICEServer{URLs: []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}, Username: u, Credential: p},
		)
	}
	extra := s.cfg.ICEServers
	if l := s.ice.Load(); l != nil {
		extra = *l
	}
	return append(out, extra...)
}

// handleICEServers: GET /api/v1/media/ice-servers → {"ice_servers":[…],"ttl_s"}.
func (s *Service) handleICEServers(w http.ResponseWriter, r *http.Request) {
	who := ""
	if tok := r.URL.Query().Get("media_session"); tok != "" {
		if _, err := s.linkSessionAny(r.Context(), tok); err != nil {
			api.Fail(w, r, err)
			return
		}
		who = "link"
	} else {
		p, err := account.Require(r)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		who = p.Actor()
	}
	api.JSON(w, http.StatusOK, map[string]any{"ice_servers": s.iceServersFor(who), "ttl_s": int(s.cfg.CredentialTTL.Seconds())})
}
