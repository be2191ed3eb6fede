package tip

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"os"
	"time"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
)

// Router routes a position to its 110 centre (geo.Router).
type Router interface {
	Route(lat, lng float64) (geo.Route, error)
}

// Accounts is what tips need of the account service: officers to assign
// and centres to name.
type Accounts interface {
	GetOfficer(ctx context.Context, username string) (account.OfficerAccount, error)
	GetCenter(ctx context.Context, code string) (account.Center, error)
}

// Config tunes the service; zero fields take the defaults beside them.
type Config struct {
	TokenTTL    time.Duration // capture token lifetime, default 10m
	UploadGrace time.Duration // how long after expiry an upload of a capture made in time is still taken, default 5m
	ClockSkew   time.Duration // tolerance between the phone's and the server's clock, default 5s
	MaxPhoto    int64         // default 15 MiB
	MaxAudio    int64         // default 30 MiB
	MaxVideo    int64         // default 200 MiB
	MaxMedia    int           // attachments per tip, default 12
	NearKm      float64       // a capture must lie within this distance of the tip's position, default 50 km
	RateWindow  time.Duration // default 24h
	RateFlagAt  int           // tips per RateWindow from one tipster that flag "rate", default 5
	DupWindow   time.Duration // same text or media from one tipster within it flags "duplicate", default 7 days
	TempDir     string        // uploads are spooled here before they are checked, default os.TempDir()
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.TokenTTL, 10*time.Minute)
	def(&c.UploadGrace, 5*time.Minute)
	def(&c.ClockSkew, 5*time.Second)
	def(&c.RateWindow, 24*time.Hour)
	def(&c.DupWindow, 7*24*time.Hour)
	if c.MaxPhoto <= 0 {
		c.MaxPhoto = 15 << 20
	}
	if c.MaxAudio <= 0 {
		c.MaxAudio = 30 << 20
	}
	if c.MaxVideo <= 0 {
		c.MaxVideo = 200 << 20
	}
	if c.MaxMedia <= 0 {
		c.MaxMedia = 12
	}
	if c.NearKm <= 0 {
		c.NearKm = 50
	}
	if c.RateFlagAt <= 0 {
		c.RateFlagAt = 5
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
}

func (c *Config) maxFor(k MediaKind) int64 {
	switch k {
	case Photo:
		return c.MaxPhoto
	case Audio:
		return c.MaxAudio
	}
	return c.MaxVideo
}

func (c *Config) maxAny() int64 { return max(c.MaxPhoto, c.MaxAudio, c.MaxVideo) }

// Service is the tip feature.
type Service struct {
	db       *db.DB
	audit    *audit.Log
	blob     blob.Store
	keys     *Keyring
	router   Router
	accounts Accounts
	secret   []byte
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
}

// New returns the service. secret keys the owner references (the server
// secret); keys seal identities.
func New(d *db.DB, a *audit.Log, b blob.Store, keys *Keyring, router Router, accounts Accounts, secret []byte, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d, audit: a, blob: b, keys: keys, router: router, accounts: accounts, secret: secret, cfg: cfg, now: now, log: log}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// ownerRef is the pseudonymous link between a citizen and their tips:
// HMAC-SHA256 of the citizen ID under the server secret.
func (s *Service) ownerRef(p account.Principal) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("open110 tip owner|" + p.ID))
	return hex.EncodeToString(m.Sum(nil))[:40]
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Visibility. A handler sees the tips of their own centre; a supervisor
// sees those of their centre and of every centre below it (a city's
// supervisor sees its counties', the province's sees all). Dispatchers and
// administrators see no tip content (administrators read access logs).

// ancestors returns code's parents, nearest first (county → city → province).
func ancestors(code string) []string {
	var out []string
	for i := 0; i < 4; i++ {
		u, ok := geo.UnitByCode(code)
		if !ok || u.Parent == "" {
			break
		}
		out = append(out, u.Parent)
		code = u.Parent
	}
	return out
}

func covers(officerCenter, tipCenter string) bool {
	if officerCenter == tipCenter {
		return true
	}
	for _, a := range ancestors(tipCenter) {
		if a == officerCenter {
			return true
		}
	}
	return false
}

func canView(p account.Principal, t *Tip) bool {
	switch {
	case p.IsOfficer(account.Handler):
		return p.Center == t.Center.Code
	case p.IsOfficer(account.Supervisor):
		return covers(p.Center, t.Center.Code)
	}
	return false
}

func canAssign(p account.Principal, t *Tip) bool {
	return p.IsOfficer(account.Supervisor) && covers(p.Center, t.Center.Code)
}

func canReadAccessLog(p account.Principal, t *Tip) bool {
	return canAssign(p, t) || p.IsOfficer(account.Admin) && covers(p.Center, t.Center.Code)
}

func isAssigned(p account.Principal, t *Tip) bool {
	return p.IsOfficer(account.Handler) && t.handlerID != "" && p.ID == t.handlerID
}

// validPosition checks a WGS-84 position: finite, in range, with a sane
// accuracy (0 means unknown).
func validPosition(p Position) bool {
	for _, v := range []float64{p.Lat, p.Lng, p.AccuracyM} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180 && p.AccuracyM >= 0 && p.AccuracyM <= 50000 &&
		!(p.Lat == 0 && p.Lng == 0)
}

// inChina is a coarse box around mainland China, Hainan and the islands:
// captures shot by a Hebei app elsewhere are not plausible.
func inChina(p Position) bool {
	return p.Lat >= 17.5 && p.Lat <= 54 && p.Lng >= 73 && p.Lng <= 135.5
}

// distanceKm is the great-circle distance between two positions.
func distanceKm(a, b Position) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// officerEntry is an audit entry for an officer's action on a tip.
func officerEntry(p account.Principal, ip, action, tipID, reason string, detail map[string]any) audit.Entry {
	return audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: ip, Action: action, Object: "tip:" + tipID, Reason: reason, Detail: detail}
}

// tipsterActor is the audit actor of a tipster's own actions: it names no
// citizen (the tip or capture is the object) and records no IP.
const tipsterActor = "tipster"

func internal(what string, err error) error {
	return apperr.ErrInternal.Wrap(fmt.Errorf("tip: %s: %w", what, err))
}
