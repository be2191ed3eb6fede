// Package alarm is the heart of open110: an alarm raised anywhere in Hebei
// reaches the right centre's queue, is never lost, and a dispatcher answers,
// locates, talks, records the incident and closes it.
//
// Layout: domain.go (types), machine.go (the state machine and who may do
// what — plain Go, no SQL or HTTP), store*.go (SQL), service*.go (the use
// cases), http*.go (the route table and handlers), feed.go (the WebSocket
// live feed), sms.go (12110 ingest), timers.go (overflow, abandonment,
// dispatcher grace), incident.go / eido.go (CAD-lite record and its export),
// stats.go (answer-time statistics and Prometheus metrics).
//
// The database is the source of truth. Every change appends a row to
// alarm_events whose seq is a global, gap-free-in-commit-order cursor; the
// bus only carries wake-ups ("alarm.center.<code>", "alarm.id.<id>") after
// which live connections re-read the database from their cursor, so a lost
// bus message loses nothing and any number of nodes can serve one alarm.
package alarm

import (
	"math"
	"time"

	"open110/platform/apperr"
)

// Kind is how the alarm was raised.
type Kind string

// The alarm kinds. sms is created only by the 12110 gateway.
const (
	Video  Kind = "video"
	Silent Kind = "silent"
	Voice  Kind = "voice"
	Text   Kind = "text"
	SMS    Kind = "sms"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case Video, Silent, Voice, Text, SMS:
		return true
	}
	return false
}

// State is where the alarm is in its life.
//
// Overflow is not a state: an overflowed alarm is still one queue item that
// waits for an answer, now offered to more centres (see Alarm.Overflow and
// Alarm.OfferedTo). Keeping it "queued" means `?state=queued` answers "what
// is waiting" at every centre that can see it.
type State string

const (
	Queued    State = "queued"    // waiting for a dispatcher
	Answered  State = "answered"  // a dispatcher has it
	Closed    State = "closed"    // ended by a dispatcher with a disposition
	Cancelled State = "cancelled" // withdrawn by the caller before an answer
	Abandoned State = "abandoned" // caller gone before an answer; kept for call-back
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	switch s {
	case Queued, Answered, Closed, Cancelled, Abandoned:
		return true
	}
	return false
}

// Terminal reports whether nothing more can happen to the alarm's state.
func (s State) Terminal() bool { return s == Closed || s == Cancelled }

// Position is a WGS-84 fix.
type Position struct {
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	AccuracyM float64 `json:"accuracy_m"`
	Source    string  `json:"source,omitempty"` // gps, network, cell, manual...
}

// Validate checks ranges: finite numbers, lat in [-90,90], lng in
// [-180,180], accuracy in [0, 100 km] (a bigger circle locates nothing).
func (p Position) Validate() error {
	for _, v := range []float64{p.Lat, p.Lng, p.AccuracyM} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrInvalidLocation.Msg("location must hold finite numbers")
		}
	}
	if p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 {
		return ErrInvalidLocation.Msg("lat must be in [-90, 90] and lng in [-180, 180]")
	}
	if p.Lat == 0 && p.Lng == 0 {
		return ErrInvalidLocation.Msg("location 0,0 is not a fix")
	}
	if p.AccuracyM < 0 || p.AccuracyM > 100000 {
		return ErrInvalidLocation.Msg("accuracy_m must be between 0 and 100000")
	}
	if len(p.Source) > 32 {
		return ErrInvalidLocation.Msg("source is too long")
	}
	return nil
}

// Center is a command centre reference.
type Center struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Routing explains how the alarm reached its centre.
type Routing struct {
	// By is position (the caller's fix), cell (the SMS gateway's cell
	// position), number (the receiving 12110 number's configured area),
	// province (no usable position), outside (the fix lies outside Hebei).
	By                  string  `json:"by"`
	OutsideJurisdiction bool    `json:"outside_jurisdiction,omitempty"`
	Nearest             *Center `json:"nearest,omitempty"`     // outside: the nearest Hebei centre
	NearestM            float64 `json:"nearest_m,omitempty"`   // outside: distance to it
	Reason              string  `json:"reason,omitempty"`      // human explanation
	Home                string  `json:"home_center,omitempty"` // the first centre routing chose
}

// Suspicion is one reason an alarm is marked as a suspected prank. Alarms
// are never rejected or hidden for it; the console shows why.
type Suspicion struct {
	Code   string `json:"code"` // phone_frequency, ip_frequency, previous_prank
	Detail string `json:"detail"`
}

// Alarm is the state of one alarm as the API shows it.
type Alarm struct {
	ID          string            `json:"id"`
	Kind        Kind              `json:"kind"`
	State       State             `json:"state"`
	Center      Center            `json:"center"`
	Routing     Routing           `json:"routing"`
	OfferedTo   []Center          `json:"offered_to,omitempty"` // centres (besides Center) that may answer it now
	Overflow    int               `json:"overflow"`             // how many steps up the chain it has been offered
	CallerID    string            `json:"caller_id,omitempty"`
	CallerPhone string            `json:"caller_phone,omitempty"`
	RaisedBy    string            `json:"raised_by,omitempty"` // actor that raised it when not the caller (guardian, sms)
	Links       map[string]string `json:"links,omitempty"`     // e.g. trip_id, raised_by for guardian alarms
	Location    *Position         `json:"location,omitempty"`  // the position the dispatcher relies on
	LocationSeq int64             `json:"location_seq"`        // which position of the stream it is
	LatestSeq   int64             `json:"latest_position_seq"` // newest position received
	Suspected   bool              `json:"suspected"`
	Suspicion   []Suspicion       `json:"suspicion,omitempty"`
	RaisedAt    time.Time         `json:"raised_at"`
	QueuedAt    time.Time         `json:"queued_at"`
	AnsweredAt  *time.Time        `json:"answered_at,omitempty"`
	AnsweredBy  string            `json:"answered_by,omitempty"` // officer username
	EndedAt     *time.Time        `json:"ended_at,omitempty"`
	Disposition string            `json:"disposition,omitempty"`
	Unread      int               `json:"unread,omitempty"` // set per viewer when known
	Cursor      int64             `json:"cursor"`           // seq of the last event about this alarm
}

// MessageFrom says who wrote a chat message.
type MessageFrom string

const (
	FromCaller     MessageFrom = "caller"
	FromDispatcher MessageFrom = "dispatcher"
	FromSystem     MessageFrom = "system" // notes posted by the platform (e.g. video-by-link)
)

// Message is one chat line.
type Message struct {
	ID          string      `json:"id"`
	AlarmID     string      `json:"alarm_id"`
	Seq         int64       `json:"seq"` // 1, 2, 3… per alarm
	From        MessageFrom `json:"from"`
	Sender      string      `json:"sender,omitempty"` // officer username for dispatcher messages
	Text        string      `json:"text"`
	Channel     string      `json:"channel"` // app or sms
	At          time.Time   `json:"at"`
	DeliveredAt *time.Time  `json:"delivered_at,omitempty"`
	ReadAt      *time.Time  `json:"read_at,omitempty"`
	SendError   string      `json:"send_error,omitempty"` // sms: the gateway refused it
}

// PositionFix is one entry of an alarm's location stream.
type PositionFix struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	Position
	Confirmed bool `json:"confirmed"`
}

// Event is one row of the alarm event log: every transition and every
// message, position, note. Seq is the global cursor of the live feeds.
type Event struct {
	Seq     int64          `json:"seq"`
	AlarmID string         `json:"alarm_id"`
	Type    string         `json:"type"` // raised, answered, message, position, ...
	At      time.Time      `json:"at"`
	Actor   string         `json:"actor"`
	Reason  string         `json:"reason,omitempty"`
	Staff   bool           `json:"-"` // visible to officers only
	Alarm   *Alarm         `json:"alarm,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// Errors with stable codes. Handlers map them through apperr.
var (
	ErrNotFound          = apperr.New(apperr.NotFound, "alarm_not_found", "no such alarm")
	ErrInvalidKind       = apperr.New(apperr.Invalid, "invalid_kind", "kind must be one of video, silent, voice, text")
	ErrInvalidLocation   = apperr.New(apperr.Invalid, "invalid_location", "location is invalid")
	ErrInvalidState      = apperr.New(apperr.Invalid, "invalid_state", "unknown state")
	ErrAlreadyAnswered   = apperr.New(apperr.Conflict, "already_answered", "another dispatcher has already answered this alarm")
	ErrTransition        = apperr.New(apperr.Conflict, "invalid_transition", "the alarm's state does not allow this")
	ErrNotYours          = apperr.New(apperr.Forbidden, "not_your_alarm", "only the answering dispatcher may do this")
	ErrEmptyMessage      = apperr.New(apperr.Invalid, "empty_message", "message text is empty")
	ErrMessageTooLong    = apperr.New(apperr.Invalid, "message_too_long", "message text is longer than 2000 characters")
	ErrInvalidDispo      = apperr.New(apperr.Invalid, "invalid_disposition", "disposition is required (at most 200 characters)")
	ErrIdempotencyReused = apperr.New(apperr.Unprocessable, "idempotency_key_reused", "this idempotency key was used for a different alarm")
	ErrInvalidIdemKey    = apperr.New(apperr.Invalid, "invalid_idempotency_key", "idempotency key must be 1-128 printable ASCII characters")
	ErrInvalidCenter     = apperr.New(apperr.Invalid, "invalid_center", "no such command centre")
	ErrInvalidCursor     = apperr.New(apperr.Invalid, "invalid_cursor", "cursor must be a non-negative integer")
	ErrNoSuchPosition    = apperr.New(apperr.NotFound, "position_not_found", "no such position in this alarm's stream")
)

// MaxMessageRunes bounds a chat message (an SMS concatenates to far less).
const MaxMessageRunes = 2000

// DefaultQuickPhrases are the dispatcher's one-click replies, written for
// speed and for deaf or speech-impaired callers who use text.
var DefaultQuickPhrases = []string{
	"您好，这里是110报警服务台，请问发生了什么事？",
	"请问您现在安全吗？",
	"请发送您所在的具体位置（街道、门牌、标志性建筑）。",
	"请问有人受伤吗？需要救护车吗？",
	"民警正在赶来，请保持手机畅通。",
	"如不方便说话，请直接打字回复，我们一直在。",
	"请尽量到安全的地方，不要激怒对方。",
	"请描述嫌疑人的体貌特征、衣着和逃跑方向。",
	"我们已收到您的位置，请留在原地等候民警。",
	"请问您的姓名和联系电话？",
}

// Known dispositions. Others are accepted as free text; these are the ones
// statistics and prank detection understand.
var Dispositions = []string{
	"resolved",    // 已处置
	"dispatched",  // 已派警
	"advice",      // 咨询/已告知
	"referred",    // 移交其他部门
	"duplicate",   // 重复报警
	"prank",       // 恶作剧/骚扰
	"invalid",     // 无效报警
	"no_contact",  // 无法联系
	"cancelled",   // 报警人撤销
	"callback_ok", // 回拨已联系
}

var errForbidden = apperr.New(apperr.Forbidden, "forbidden", "not allowed")
