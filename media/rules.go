package media

import "github.com/pion/webrtc/v4"

// Role is a participant's place in an alarm's media room.
type Role string

const (
	RoleNone       Role = ""
	RoleCaller     Role = "caller"     // the citizen who raised the alarm (or who opened a video link)
	RoleDispatcher Role = "dispatcher" // the dispatcher who answered
	RoleObserver   Role = "observer"   // a supervisor (or a dispatcher of the centre before answer) watching
)

// Alarm kinds as the alarm feature names them.
const (
	KindVideo  = "video"
	KindSilent = "silent"
	KindVoice  = "voice"
	KindText   = "text"
	KindSMS    = "sms"
)

// media is a set of media kinds.
type mediaSet uint8

const (
	mAudio mediaSet = 1 << iota
	mVideo
	mNone mediaSet = 0
	mAV            = mAudio | mVideo
)

func (s mediaSet) has(k webrtc.RTPCodecType) bool {
	switch k {
	case webrtc.RTPCodecTypeAudio:
		return s&mAudio != 0
	case webrtc.RTPCodecTypeVideo:
		return s&mVideo != 0
	}
	return false
}

// rules says which media flow in an alarm of one kind. It is the single place
// the per-kind rules of issue 5 live, and the SFU consults it for every track
// it accepts or attaches, so a misbehaving client cannot widen them.
type rules struct {
	CallerSends     mediaSet // accepted from the caller (recorded, forwarded to dispatcher and observers)
	CallerReceives  mediaSet // forwarded from the dispatcher to the caller
	DispatcherSends mediaSet // accepted from the dispatcher (forwarded to caller and observers)
}

// rulesFor returns the media rules of an alarm kind. viaLink is true for a
// caller who joined through a one-time video link (an upgraded text, SMS or
// voice alarm): that caller streams video and audio one way and receives
// nothing, as the field practice (c-Live, 5G video 110) does.
func rulesFor(kind string, viaLink bool) (rules, bool) {
	if viaLink {
		return rules{CallerSends: mAV, CallerReceives: mNone, DispatcherSends: mNone}, true
	}
	switch kind {
	case KindVideo:
		return rules{CallerSends: mAV, CallerReceives: mAV, DispatcherSends: mAV}, true
	case KindSilent:
		// The caller's microphone may be recorded and heard by the
		// dispatcher; nothing at all is sent to the caller (no audio track
		// ever; no video either, so nothing on the phone draws attention).
		// The dispatcher talks by text.
		return rules{CallerSends: mAV, CallerReceives: mNone, DispatcherSends: mNone}, true
	case KindVoice:
		return rules{CallerSends: mAudio, CallerReceives: mAudio, DispatcherSends: mAudio}, true
	}
	return rules{}, false // text and SMS alarms have no media unless upgraded by link
}

// receives returns what a participant with role gets from publisher side src.
func (r rules) receives(role Role, src side) mediaSet {
	switch role {
	case RoleCaller:
		if src == sideDispatcher {
			return r.CallerReceives
		}
	case RoleDispatcher:
		if src == sideCaller {
			return r.CallerSends
		}
	case RoleObserver:
		if src == sideCaller {
			return r.CallerSends
		}
		return r.DispatcherSends
	}
	return mNone
}

// sends returns what the room accepts from a participant with role.
func (r rules) sends(role Role) mediaSet {
	switch role {
	case RoleCaller:
		return r.CallerSends
	case RoleDispatcher:
		return r.DispatcherSends
	}
	return mNone
}

// side is a publishing side of a room.
type side int

const (
	sideCaller side = iota
	sideDispatcher
	sides
)

func (s side) String() string {
	if s == sideCaller {
		return "caller"
	}
	return "dispatcher"
}

func sideOf(r Role) (side, bool) {
	switch r {
	case RoleCaller:
		return sideCaller, true
	case RoleDispatcher:
		return sideDispatcher, true
	}
	return 0, false
}
