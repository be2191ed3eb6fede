package alarm

import (
	"slices"

	"open110/account"
)

// Action is something that may happen to an alarm.
type Action string

const (
	ActAnswer   Action = "answer"   // a dispatcher takes it
	ActEnd      Action = "end"      // a dispatcher closes it with a disposition
	ActCancel   Action = "cancel"   // the caller withdraws it before an answer
	ActAbandon  Action = "abandon"  // the caller is gone before an answer (system)
	ActReturn   Action = "return"   // an abandoned caller is back: into the queue again
	ActRequeue  Action = "requeue"  // the answering dispatcher releases it / lost their console
	ActOverflow Action = "overflow" // also offered to the next centre up (system)
	ActTransfer Action = "transfer" // moved to another centre by hand, with a note
	ActMessage  Action = "message"  // chat
	ActPosition Action = "position" // the caller's position stream
	ActAccept   Action = "accept"   // the dispatcher accepts a new position as the confirmed one
	ActIncident Action = "incident" // edit the incident record
	ActCallback Action = "callback" // record a call-back attempt
)

// transitions is the state machine: for each state, the actions allowed and
// the state they lead to. Actions absent here are illegal in that state.
var transitions = map[State]map[Action]State{
	Queued: {
		ActAnswer:   Answered,
		ActCancel:   Cancelled,
		ActAbandon:  Abandoned,
		ActOverflow: Queued,
		ActTransfer: Queued,
		ActMessage:  Queued,
		ActPosition: Queued,
		ActAccept:   Queued,
		ActIncident: Queued,
	},
	Answered: {
		ActEnd:      Closed,
		ActRequeue:  Queued,
		ActTransfer: Queued,
		ActMessage:  Answered,
		ActPosition: Answered,
		ActAccept:   Answered,
		ActIncident: Answered,
	},
	Abandoned: {
		ActReturn:   Queued,
		ActEnd:      Closed,
		ActCallback: Abandoned,
		ActIncident: Abandoned,
		ActPosition: Queued, // a position from the caller means they are back
		ActMessage:  Queued, // so does a message
	},
	Closed: {
		ActIncident: Closed, // the record is completed after the call
		ActCallback: Closed, // a late call-back outcome is still recorded
	},
	Cancelled: {},
}

// Next returns the state that action leads to from s, or ErrTransition (or
// ErrAlreadyAnswered for answering an alarm someone else holds).
func Next(s State, a Action) (State, error) {
	next, ok := transitions[s][a]
	if !ok {
		if a == ActAnswer && s == Answered {
			return s, ErrAlreadyAnswered
		}
		return s, ErrTransition.Msg("an alarm that is %s cannot %s", s, a)
	}
	return next, nil
}

// Role is what a principal is to one alarm.
type Role string

const (
	RoleNone       Role = "none"
	RoleCaller     Role = "caller"     // the citizen who raised it (or for whom a guardian raised it)
	RoleDispatcher Role = "dispatcher" // an officer of a centre it is offered to who may answer
	RoleObserver   Role = "observer"   // may read (supervisors; a centre it passed through)
)

// View is what the policy needs to know about an alarm.
type View struct {
	State      State
	CallerID   string
	RaisedByID string   // citizen ID of a guardian who raised it, if any
	Active     []string // centres it is offered to now (owner first)
	Past       []string // centres that saw it before (transfer)
	AnsweredBy string   // officer username
}

// RoleOf returns p's role for the alarm. within(officerCentre, c) reports
// whether centre c lies in the officer's area (the same centre, or below it
// for supervisors and admins); nil means the same centre only.
func RoleOf(p account.Principal, v View, within func(officer, c string) bool) Role {
	switch {
	case p.IsCitizen():
		if p.ID != "" && (p.ID == v.CallerID || p.ID == v.RaisedByID) {
			return RoleCaller
		}
		return RoleNone
	case p.IsOfficer(account.Dispatcher):
		if slices.Contains(v.Active, p.Center) {
			return RoleDispatcher
		}
		if slices.Contains(v.Past, p.Center) {
			return RoleObserver
		}
	case p.IsOfficer(account.Supervisor, account.Admin):
		if slices.Contains(v.Active, p.Center) && p.Role == account.Supervisor {
			return RoleDispatcher // a supervisor may step in and answer
		}
		for _, c := range append(slices.Clone(v.Active), v.Past...) {
			if c == p.Center || (within != nil && within(p.Center, c)) {
				return RoleObserver
			}
		}
	}
	return RoleNone
}

// Authorize says whether p, whose role for the alarm is r, may do a in
// the alarm's current state. It checks who, not when: call Next for that.
// system is true for the platform's own timers and gateways.
func Authorize(p account.Principal, r Role, v View, a Action) error {
	switch a {
	case ActCancel, ActPosition, ActReturn:
		if r == RoleCaller {
			return nil
		}
	case ActMessage:
		if r == RoleCaller {
			return nil
		}
		if r == RoleDispatcher {
			if v.State == Answered && v.AnsweredBy != p.Username {
				return ErrNotYours
			}
			if v.State != Answered {
				return ErrTransition.Msg("answer the alarm before writing to the caller")
			}
			return nil
		}
	case ActAnswer:
		if r == RoleDispatcher {
			return nil
		}
	case ActEnd, ActRequeue, ActAccept:
		if r == RoleDispatcher {
			if v.State == Answered && v.AnsweredBy != p.Username && p.Role != account.Supervisor {
				return ErrNotYours
			}
			return nil
		}
	case ActTransfer:
		if r == RoleDispatcher {
			if v.State == Answered && v.AnsweredBy != p.Username && p.Role != account.Supervisor {
				return ErrNotYours
			}
			return nil
		}
	case ActIncident, ActCallback:
		if r == RoleDispatcher {
			if v.State == Answered && v.AnsweredBy != p.Username && p.Role != account.Supervisor {
				return ErrNotYours
			}
			return nil
		}
		if r == RoleObserver && v.State.Terminal() && p.IsOfficer(account.Dispatcher) {
			// the centre that handled it completes its record after a transfer
			return nil
		}
	case ActAbandon, ActOverflow:
		// system only: never a principal
	}
	if r == RoleNone {
		return ErrNotFound
	}
	return errForbiddenAction(a)
}

func errForbiddenAction(a Action) error {
	return errForbidden.Msg("your role may not %s this alarm", a)
}
