package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"open110/account"
	"open110/alarm"
	"open110/media"
)

// wireMedia serves live media for alarms (WebRTC signalling, the SFU,
// evidence recording, video links, TURN). It plugs into the node's alarm
// service through mediaAlarms and ends rooms on the alarm's "closed" wake-up.
//
// Settings come from Config (--media-*, --turn-*, --ice-servers).
func wireMedia(a *App) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	als := a.Alarms()
	if als == nil {
		return fmt.Errorf("media: the alarm service is not wired")
	}
	c := a.Cfg
	cfg := media.Config{
		DataDir: c.Data, PublicURL: c.PublicURL,
		UDPAddr: c.MediaUDP, TCPAddr: c.MediaTCP,
		TURNAddr: c.TURNAddr, TURNPublicIP: c.TURNPublicIP, TURNSecret: c.TURNSecret,
		Loopback: c.MediaLoopback,
		NodeURL:  a.NodeURL, NodeKey: a.NodeKey,
	}
	if c.MediaPublicIPs != "" {
		cfg.PublicIPs = strings.Split(c.MediaPublicIPs, ",")
	}
	if host, _, err := net.SplitHostPort(c.Addr); err == nil {
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			cfg.Loopback = true
		}
	}
	if cfg.TURNAddr != "" && cfg.TURNSecret == "" {
		cfg.TURNSecret = fmt.Sprintf("%x", a.Secret) + ":turn"
	}
	if c.ICEServers != "" {
		if err := json.Unmarshal([]byte(c.ICEServers), &cfg.ICEServers); err != nil {
			return fmt.Errorf("--ice-servers: %w", err)
		}
	}
	s, err := media.New(ctx, cfg, media.Deps{
		DB: a.DB, Blob: a.Blob, Audit: a.Audit, Alarms: mediaAlarms{als}, SMS: a.SMS, Log: a.Log, Now: a.Now,
	})
	if err != nil {
		return err
	}
	s.Register(a.Mux)
	a.media = s
	registerMediaMetrics(a, s)
	a.AddOpenAPI(media.OpenAPI)
	a.AddRunner(s.Run)
	unsub, err := als.Subscribe(func(c alarm.Change) {
		switch {
		case c.Type == "closed" || c.Type == "cancelled":
			// Only the event that ends the alarm: later events of a closed
			// alarm (receipts, incident edits) need no room work. Run's
			// sweep catches an end whose event was missed.
			go s.AlarmClosed(context.Background(), c.AlarmID)
		case c.Type == "answered":
			s.AlarmAnswered(c.AlarmID)
		}
	})
	if err != nil {
		s.Close()
		return err
	}
	a.AddCloser(func() error {
		unsub()
		return s.Close()
	})
	return nil
}

// mediaAlarms adapts the alarm service to what media asks of it.
type mediaAlarms struct{ s *alarm.Service }

// system sees every alarm in the province as an observer (admin of 130000).
var mediaSystem = account.Principal{Kind: account.Officer, ID: "system:media", Username: "system:media",
	Role: account.Admin, Center: account.ProvinceCenter}

func (m mediaAlarms) Access(ctx context.Context, p account.Principal, id string) (media.Grant, error) {
	acc, err := m.s.Access(ctx, p, id)
	if err != nil {
		return media.Grant{}, err
	}
	g := media.Grant{Alarm: alarmOf(acc)}
	switch {
	case acc.Role == alarm.RoleCaller:
		g.Role = media.RoleCaller
	case acc.Answerer:
		g.Role = media.RoleDispatcher
	case acc.Role == alarm.RoleObserver:
		g.Role = media.RoleObserver
	case acc.Role == alarm.RoleDispatcher && (acc.State == alarm.Queued || p.Role == account.Supervisor):
		// The centre's dispatchers may preview a queued alarm's video (to
		// triage); once answered only the answerer and supervisors watch.
		g.Role = media.RoleObserver
	case acc.Role == alarm.RoleDispatcher && acc.State.Terminal() && acc.AnsweredBy == p.Username:
		// The dispatcher who handled a closed alarm reviews its recordings
		// and snapshots (each playback audited with a reason); the rtc
		// socket refuses closed alarms, so this grants no live media.
		g.Role = media.RoleObserver
	}
	return g, nil
}

func (m mediaAlarms) Get(ctx context.Context, id string) (media.Alarm, error) {
	acc, err := m.s.Access(ctx, mediaSystem, id)
	if err != nil {
		return media.Alarm{}, err
	}
	return alarmOf(acc), nil
}

func (m mediaAlarms) CallerPresent(ctx context.Context, id string) error {
	return m.s.CallerPresent(ctx, id)
}

func (m mediaAlarms) CallerGone(ctx context.Context, id, reason string) error {
	_, err := m.s.CallerGone(ctx, id, reason)
	return err
}

func (m mediaAlarms) AddSystemMessage(ctx context.Context, id, actor, text string) error {
	_, err := m.s.AddSystemMessage(ctx, id, actor, text)
	return err
}

func alarmOf(acc alarm.Access) media.Alarm {
	return media.Alarm{ID: acc.AlarmID, Kind: string(acc.Kind), State: string(acc.State), Center: acc.Center.Code,
		CallerID: acc.CallerID, CallerPhone: acc.CallerPhone}
}

// registerMediaMetrics exposes the SFU's counters on /metrics, read at
// scrape time.
func registerMediaMetrics(a *App, s *media.Service) {
	gauge := func(name, help string, v func(media.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(s.Stats()) })
	}
	counter := func(name, help string, v func(media.Stats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(s.Stats()) })
	}
	a.Metrics.MustRegister(
		gauge("open110_media_rooms", "Live media rooms held by this node.", func(st media.Stats) float64 { return float64(st.Rooms) }),
		gauge("open110_media_participants", "Participants in this node's media rooms.", func(st media.Stats) float64 { return float64(st.Participants) }),
		counter("open110_media_packets_in_total", "RTP packets received by the SFU.", func(st media.Stats) float64 { return float64(st.PacketsIn) }),
		counter("open110_media_packets_out_total", "RTP packets forwarded by the SFU.", func(st media.Stats) float64 { return float64(st.PacketsOut) }),
		counter("open110_media_segments_uploaded_total", "Recording segments stored.", func(st media.Stats) float64 { return float64(st.SegmentsUploaded) }),
		counter("open110_media_forwarded_total", "Signalling sockets forwarded to the node holding the room.", func(st media.Stats) float64 { return float64(st.Forwarded) }),
	)
}
