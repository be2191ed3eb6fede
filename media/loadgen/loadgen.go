// Package loadgen drives open110's media path with synthetic callers and
// dispatchers (pion peers in this process) and reports what the dispatchers
// received: `open110 loadgen`. It prints one JSON summary as its last line.
//
// Modes:
//   - "api" (default): through the server's real HTTP API. Citizens sign in
//     by OTP (codes read from the demo SMS outbox, --outbox), raise video
//     alarms, and dispatchers (demo account d<centre>/open110-demo, one
//     session each) answer them and open the alarm's media socket.
//     The account service allows 30 OTP requests per client IP an hour, so
//     each synthetic citizen sends its own X-Forwarded-For (callerIP, from
//     198.18.0.0/15, the range RFC 2544 sets aside for benchmarks). The
//     server believes that header only from a trusted proxy: run the bench
//     server with --trust-proxy 127.0.0.1/32 (or ::1/128 when the loadgen
//     connects over IPv6), else every caller after the 30th fails to sign
//     in with rate_limited.
//   - "direct": no sign-in or alarm API; alarm IDs bench-<i>, tokens c<i>
//     and d<j>. For bench/media's media-only server and its plain pion
//     relay baseline, which accept those.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"open110/media/rtcclient"
)

// Options configure a run. Defaults in brackets.
type Options struct {
	Server      string        // base URL, e.g. http://127.0.0.1:8110
	Callers     int           // concurrent alarms [10]
	Dispatchers int           // answering dispatcher sessions [1]
	Duration    time.Duration // measured steady state [30s]
	BitrateKbps int           // caller video bitrate [1000]
	FPS         int           // caller video frame rate [30]
	Mode        string        // "api" or "direct" ["api"]
	Outbox      string        // api mode: the server's sms-outbox.jsonl (OTP codes)
	Dispatcher  string        // api mode: dispatcher username [d<centre of the first alarm>]
	Password    string        // api mode: ["open110-demo"]
	Lat, Lng    float64       // api mode: where alarms are raised [Shijiazhuang, Chang'an]
	Kind        string        // alarm kind ["video"]
	ServerPID   int           // read the server's CPU and memory from /proc; else from /metrics
	Ramp        int           // alarms started per second [25]
	Warmup      time.Duration // after everyone is connected, before measuring [3s]
	Label       string        // echoed in the summary
	Log         io.Writer     // progress lines; nil: discarded
}

func (o *Options) defaults() {
	if o.Callers <= 0 {
		o.Callers = 10
	}
	if o.Dispatchers <= 0 {
		o.Dispatchers = 1
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.BitrateKbps <= 0 {
		o.BitrateKbps = 1000
	}
	if o.FPS <= 0 {
		o.FPS = 30
	}
	if o.Mode == "" {
		o.Mode = "api"
	}
	if o.Password == "" {
		o.Password = "open110-demo"
	}
	if o.Lat == 0 && o.Lng == 0 {
		o.Lat, o.Lng = 38.0436, 114.5143
	}
	if o.Kind == "" {
		o.Kind = "video"
	}
	if o.Ramp <= 0 {
		o.Ramp = 25
	}
	if o.Warmup <= 0 {
		o.Warmup = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	o.Server = strings.TrimRight(o.Server, "/")
}

// Summary is the last line Run prints.
type Summary struct {
	Label            string  `json:"label,omitempty"`
	Mode             string  `json:"mode"`
	Callers          int     `json:"callers"`
	Dispatchers      int     `json:"dispatchers"`
	Connected        int     `json:"connected"`
	Failed           int     `json:"failed"`
	DurationS        float64 `json:"duration_s"`
	BitrateKbps      int     `json:"bitrate_kbps"`
	PacketsExpected  int64   `json:"packets_expected"`
	PacketsReceived  int64   `json:"packets_received"`
	LossPct          float64 `json:"loss_pct"`
	TTFFP50Ms        float64 `json:"ttff_p50_ms"`
	TTFFP95Ms        float64 `json:"ttff_p95_ms"`
	TTFFMaxMs        float64 `json:"ttff_max_ms"`
	ForwardedMbps    float64 `json:"forwarded_mbps"`
	ServerCPUPct     float64 `json:"server_cpu_pct"` // 100 = one core busy
	ServerRSSMB      float64 `json:"server_rss_mb"`
	ServerRSSIdleMB  float64 `json:"server_rss_idle_mb"`
	MBPerAlarm       float64 `json:"mb_per_alarm"`
	MillicoresPerMbp float64 `json:"millicores_per_mbps"`
	LoadgenCPUPct    float64 `json:"loadgen_cpu_pct"`
}

// stream counts one received track over the measured window.
type stream struct {
	mu        sync.Mutex
	init      bool
	firstSeq  uint16
	maxExt    int64 // highest extended sequence number
	cycles    int64
	lastSeq   uint16
	received  int64
	bytes     int64
	markStart bool  // window start marked
	winExp0   int64 // expected at window start
	winRecv0  int64
	winBytes0 int64
}

func (s *stream) add(seq uint16, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.init {
		s.init, s.firstSeq, s.lastSeq = true, seq, seq
		s.maxExt = int64(seq)
	} else {
		d := int16(seq - s.lastSeq)
		if d > 0 {
			if seq < s.lastSeq {
				s.cycles++
			}
			s.lastSeq = seq
			s.maxExt = s.cycles<<16 | int64(seq)
		}
	}
	s.received++
	s.bytes += int64(n)
}

func (s *stream) expected() int64 {
	if !s.init {
		return 0
	}
	return s.maxExt - int64(s.firstSeq) + 1
}

func (s *stream) markWindow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markStart = true
	s.winExp0, s.winRecv0, s.winBytes0 = s.expected(), s.received, s.bytes
}

func (s *stream) window() (exp, recv, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expected() - s.winExp0, s.received - s.winRecv0, s.bytes - s.winBytes0
}

// call is one alarm: a caller and the dispatcher watching it.
type call struct {
	id         string
	callerTok  string
	dispTok    string
	caller     *rtcclient.Client
	disp       *rtcclient.Client
	answeredAt time.Time
	ttff       atomic.Int64 // ns from answer to the first complete keyframe
	streams    [2]*stream   // audio, video at the dispatcher
	err        error
	dispPC     atomic.Pointer[webrtc.PeerConnection]
}

// Run runs the load and writes progress and, last, the JSON summary to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	o.defaults()
	if o.Server == "" {
		return errors.New("loadgen: --server is required")
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	api, err := rtcclient.NewAPI(true)
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, format+"\n", args...) }
	idleRSS := serverRSS(hc, o)

	calls := make([]*call, o.Callers)
	var dispToks []string
	if o.Mode == "direct" {
		for j := 0; j < o.Dispatchers; j++ {
			dispToks = append(dispToks, fmt.Sprintf("d%d", j))
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	// Ramp: start callers at o.Ramp per second; each dispatcher session
	// answers its share as soon as its alarm exists.
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(o.Ramp))
	var dispOnce sync.Once
	var dispErr error
	for i := range calls {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		c := &call{streams: [2]*stream{{}, {}}}
		calls[i] = c
		wg.Add(1)
		go func(i int, c *call) {
			defer wg.Done()
			if o.Mode == "api" {
				if err := raise(runCtx, hc, o, i, c); err != nil {
					c.err = err
					return
				}
				dispOnce.Do(func() { dispToks, dispErr = signInDispatchers(runCtx, hc, o, c) })
				if dispErr != nil {
					c.err = dispErr
					return
				}
			} else {
				c.id, c.callerTok = fmt.Sprintf("bench-%d", i), fmt.Sprintf("c%d", i)
			}
			c.dispTok = dispToks[i%len(dispToks)]
			if err := c.start(runCtx, hc, o, api); err != nil {
				c.err = err
			}
		}(i, c)
	}
	tick.Stop()
	wg.Wait()
	connected, failed := 0, 0
	var firstErr error
	for _, c := range calls {
		if c.err == nil {
			connected++
		} else {
			failed++
			if firstErr == nil {
				firstErr = c.err
			}
		}
	}
	logf("connected %d/%d (first error: %v)", connected, len(calls), firstErr)

	select {
	case <-ctx.Done():
	case <-time.After(o.Warmup):
	}
	for _, c := range calls {
		for _, s := range c.streams {
			s.markWindow()
		}
	}
	cpu0, cpuOK := serverCPU(hc, o)
	lgw0 := selfCPU()
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(o.Duration):
	}
	elapsed := time.Since(start)
	cpu1, _ := serverCPU(hc, o)
	lgw1 := selfCPU()
	rss := serverRSS(hc, o)

	var exp, recv, bytes int64
	var ttffs []float64
	for _, c := range calls {
		if c.err != nil {
			continue
		}
		for _, s := range c.streams {
			e, r, b := s.window()
			exp += e
			recv += r
			bytes += b
		}
		if t := c.ttff.Load(); t > 0 {
			ttffs = append(ttffs, float64(t)/1e6)
		}
	}
	sum := Summary{Label: o.Label, Mode: o.Mode, Callers: o.Callers, Dispatchers: o.Dispatchers, Connected: connected, Failed: failed,
		DurationS: round(elapsed.Seconds(), 1), BitrateKbps: o.BitrateKbps, PacketsExpected: exp, PacketsReceived: recv}
	if exp > 0 {
		sum.LossPct = round(math.Max(0, float64(exp-recv))*100/float64(exp), 3)
	}
	sum.TTFFP50Ms, sum.TTFFP95Ms, sum.TTFFMaxMs = pct(ttffs, 50), pct(ttffs, 95), pct(ttffs, 100)
	sum.ForwardedMbps = round(float64(bytes)*8/elapsed.Seconds()/1e6, 2)
	if cpuOK {
		sum.ServerCPUPct = round((cpu1-cpu0)/elapsed.Seconds()*100, 1)
		if sum.ForwardedMbps > 0 {
			sum.MillicoresPerMbp = round(sum.ServerCPUPct*10/sum.ForwardedMbps, 2)
		}
	}
	sum.ServerRSSMB = round(rss, 1)
	sum.ServerRSSIdleMB = round(idleRSS, 1)
	if connected > 0 && rss > 0 {
		sum.MBPerAlarm = round((rss-idleRSS)/float64(connected), 2)
	}
	sum.LoadgenCPUPct = round((lgw1-lgw0)/elapsed.Seconds()*100, 1)

	stop()
	for _, c := range calls {
		if c.caller != nil {
			c.caller.Close()
		}
		if c.disp != nil {
			c.disp.Close()
		}
	}
	if o.Mode == "api" {
		for _, c := range calls {
			if c.id != "" && c.dispTok != "" {
				_, _ = do(ctx, hc, "POST", o.Server+"/api/v1/alarms/"+c.id+"/end", c.dispTok, map[string]any{"disposition": "test"}, nil)
			}
		}
	}
	b, _ := json.Marshal(sum)
	_, err = fmt.Fprintln(out, string(b))
	return err
}

func (c *call) start(ctx context.Context, hc *http.Client, o Options, api *webrtc.API) error {
	base := "ws" + strings.TrimPrefix(o.Server, "http") + "/api/v1/alarms/" + c.id + "/rtc?access_token="
	var err error
	c.caller, err = rtcclient.Dial(ctx, base+c.callerTok, rtcclient.Options{API: api})
	if err != nil {
		return fmt.Errorf("caller: %w", err)
	}
	if err := waitConnected(ctx, c.caller); err != nil {
		return fmt.Errorf("caller connect: %w", err)
	}
	c.caller.SendSynthetic(ctx, o.BitrateKbps, o.FPS, 2*time.Second)
	if o.Mode == "api" {
		if _, err := do(ctx, hc, "POST", o.Server+"/api/v1/alarms/"+c.id+"/answer", c.dispTok, nil, nil); err != nil {
			return fmt.Errorf("answer: %w", err)
		}
	}
	c.answeredAt = time.Now()
	c.disp, err = rtcclient.Dial(ctx, base+c.dispTok, rtcclient.Options{API: api, OnTrack: c.onTrack})
	if err != nil {
		return fmt.Errorf("dispatcher: %w", err)
	}
	c.dispPC.Store(c.disp.PC)
	if err := waitConnected(ctx, c.disp); err != nil {
		return fmt.Errorf("dispatcher connect: %w", err)
	}
	return nil
}

func waitConnected(ctx context.Context, c *rtcclient.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return c.WaitConnected(ctx)
}

// onTrack counts a dispatcher's received packets; for video it notes the
// first complete keyframe (first decodable frame).
func (c *call) onTrack(t *webrtc.TrackRemote) {
	s := c.streams[0]
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	if video {
		s = c.streams[1]
	}
	go func() {
		buf := make([]byte, 1500)
		inKey := false
		var lastPLI time.Time
		for {
			n, _, err := t.Read(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			seq := uint16(buf[2])<<8 | uint16(buf[3])
			s.add(seq, n)
			if !video || c.ttff.Load() != 0 {
				continue
			}
			if start, key := rtcclient.VP8FrameStart(buf[:n]); start {
				inKey = key
				if !inKey && time.Since(lastPLI) > 300*time.Millisecond {
					// As a browser does: a decoder without a keyframe asks for one.
					lastPLI = time.Now()
					if pc := c.dispPC.Load(); pc != nil {
						_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
					}
				}
			}
			if inKey && buf[1]&0x80 != 0 { // marker: the keyframe is complete
				c.ttff.CompareAndSwap(0, int64(time.Since(c.answeredAt)))
			}
		}
	}()
}

// --- api mode ---

func raise(ctx context.Context, hc *http.Client, o Options, i int, c *call) error {
	phone := fmt.Sprintf("+86139%08d", 10000000+i)
	ip := callerIP(i)
	if _, err := do(ctx, hc, "POST", o.Server+"/api/v1/auth/otp", "", map[string]any{"phone": phone}, nil, ip); err != nil {
		return fmt.Errorf("otp: %w", err)
	}
	code, err := otpFromOutbox(ctx, o.Outbox, phone)
	if err != nil {
		return err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if _, err := do(ctx, hc, "POST", o.Server+"/api/v1/auth/otp/verify", "", map[string]any{"phone": phone, "code": code}, &tok, ip); err != nil {
		return fmt.Errorf("otp verify: %w", err)
	}
	var al struct {
		ID     string `json:"id"`
		Center struct {
			Code string `json:"code"`
		} `json:"center"`
	}
	body := map[string]any{"kind": o.Kind, "location": map[string]any{"lat": o.Lat, "lng": o.Lng, "accuracy_m": 10}}
	if _, err := do(ctx, hc, "POST", o.Server+"/api/v1/alarms", tok.Token, body, &al, ip); err != nil {
		return fmt.Errorf("raise: %w", err)
	}
	c.id, c.callerTok = al.ID, tok.Token
	centerOf.Store(al.Center.Code)
	return nil
}

// callerIP is synthetic citizen i's client address, 198.18.0.1 upwards in
// 198.18.0.0/15 (RFC 2544's benchmarking range: never a real client), so
// per-IP limits (30 OTP requests an hour) count each caller apart.
func callerIP(i int) string {
	n := i + 1
	return fmt.Sprintf("198.%d.%d.%d", 18+(n>>16)&1, (n>>8)&255, n&255)
}

var centerOf atomic.Value

func signInDispatchers(ctx context.Context, hc *http.Client, o Options, c *call) ([]string, error) {
	user := o.Dispatcher
	if user == "" {
		user = "d" + centerOf.Load().(string)
	}
	var toks []string
	for j := 0; j < o.Dispatchers; j++ {
		var tok struct {
			Token string `json:"token"`
		}
		if _, err := do(ctx, hc, "POST", o.Server+"/api/v1/auth/login", "", map[string]any{"username": user, "password": o.Password}, &tok); err != nil {
			return nil, fmt.Errorf("dispatcher login %s: %w", user, err)
		}
		toks = append(toks, tok.Token)
	}
	return toks, nil
}

// otpFromOutbox waits for the newest code sent to phone in the outbox file.
func otpFromOutbox(ctx context.Context, path, phone string) (string, error) {
	if path == "" {
		return "", errors.New("loadgen: api mode needs --outbox (the server's <data>/sms-outbox.jsonl)")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if code := scanOutbox(path, phone); code != "" {
			return code, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("loadgen: no code for %s in %s", phone, path)
}

func scanOutbox(path, phone string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	code := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m struct{ To, Text string }
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.To != phone {
			continue
		}
		digits := 0
		for i := 0; i < len(m.Text); i++ {
			if m.Text[i] >= '0' && m.Text[i] <= '9' {
				digits++
				if digits == 6 && (i+1 == len(m.Text) || m.Text[i+1] < '0' || m.Text[i+1] > '9') {
					code = m.Text[i-5 : i+1]
					break
				}
			} else {
				digits = 0
			}
		}
	}
	return code
}

// do makes one JSON request; xff, when given, is sent as X-Forwarded-For
// (a synthetic citizen's own address, see callerIP).
func do(ctx context.Context, hc *http.Client, method, url, token string, body, out any, xff ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(xff) > 0 && xff[0] != "" {
		req.Header.Set("X-Forwarded-For", xff[0])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// --- server and self measurements ---

const clockTicks = 100 // USER_HZ on Linux

// serverCPU returns the server's CPU seconds so far: from /proc/<pid>/stat,
// else from /metrics' process_cpu_seconds_total.
func serverCPU(hc *http.Client, o Options) (float64, bool) {
	if o.ServerPID > 0 {
		return procCPU(o.ServerPID)
	}
	v, ok := metric(hc, o.Server, "process_cpu_seconds_total")
	return v, ok
}

// serverRSS returns the server's resident memory in MB.
func serverRSS(hc *http.Client, o Options) float64 {
	if o.ServerPID > 0 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", o.ServerPID))
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseFloat(f[1], 64)
					return kb / 1024
				}
			}
		}
		return 0
	}
	v, _ := metric(hc, o.Server, "process_resident_memory_bytes")
	return v / (1 << 20)
}

func procCPU(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks, true
}

func selfCPU() float64 {
	v, _ := procCPU(os.Getpid())
	return v
}

func metric(hc *http.Client, server, name string) (float64, bool) {
	resp, err := hc.Get(server + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(line[len(name):]), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	i := int(math.Ceil(p/100*float64(len(v)))) - 1
	if i < 0 {
		i = 0
	}
	return round(v[i], 1)
}

func round(v float64, digits int) float64 {
	m := math.Pow(10, float64(digits))
	return math.Round(v*m) / m
}
