package alarm

import (
	"errors"
	"testing"

	"open110/account"
)

var allStates = []State{Queued, Answered, Closed, Cancelled, Abandoned}
var allActions = []Action{ActAnswer, ActEnd, ActCancel, ActAbandon, ActReturn, ActRequeue, ActOverflow, ActTransfer,
	ActMessage, ActPosition, ActAccept, ActIncident, ActCallback}

// TestTransitions checks every (state, action) pair against the intended
// machine, written out in full so a change to the table is a deliberate one.
func TestTransitions(t *testing.T) {
	legal := map[State]map[Action]State{
		Queued: {ActAnswer: Answered, ActCancel: Cancelled, ActAbandon: Abandoned, ActOverflow: Queued, ActTransfer: Queued,
			ActMessage: Queued, ActPosition: Queued, ActAccept: Queued, ActIncident: Queued},
		Answered: {ActEnd: Closed, ActRequeue: Queued, ActTransfer: Queued, ActMessage: Answered, ActPosition: Answered,
			ActAccept: Answered, ActIncident: Answered},
		Abandoned: {ActReturn: Queued, ActEnd: Closed, ActCallback: Abandoned, ActIncident: Abandoned, ActPosition: Queued, ActMessage: Queued},
		Closed:    {ActIncident: Closed, ActCallback: Closed},
		Cancelled: {},
	}
	n := 0
	for _, s := range allStates {
		for _, a := range allActions {
			want, ok := legal[s][a]
			got, err := Next(s, a)
			n++
			if ok {
				if err != nil || got != want {
					t.Errorf("%s --%s--> got (%s, %v), want %s", s, a, got, err, want)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s --%s--> %s: want illegal", s, a, got)
				continue
			}
			wantErr := ErrTransition
			if s == Answered && a == ActAnswer {
				wantErr = ErrAlreadyAnswered
			}
			if !errors.Is(err, wantErr) || got != s {
				t.Errorf("%s --%s-->: got (%s, %v), want (%s, %v)", s, a, got, err, s, wantErr)
			}
		}
	}
	if n != len(allStates)*len(allActions) {
		t.Fatal("not every pair checked")
	}
}

func TestRolesAndAuthorize(t *testing.T) {
	citizen := account.Principal{Kind: account.Citizen, ID: "c1"}
	guardian := account.Principal{Kind: account.Citizen, ID: "g1"}
	stranger := account.Principal{Kind: account.Citizen, ID: "c2"}
	d := func(user, center string) account.Principal {
		return account.Principal{Kind: account.Officer, Username: user, Role: account.Dispatcher, Center: center}
	}
	sup := func(center string) account.Principal {
		return account.Principal{Kind: account.Officer, Username: "s" + center, Role: account.Supervisor, Center: center}
	}
	handler := account.Principal{Kind: account.Officer, Username: "h130102", Role: account.Handler, Center: "130102"}
	v := View{State: Queued, CallerID: "c1", RaisedByID: "g1", Active: []string{"130102", "130100"}, Past: []string{"130104"}}
	within := func(o, c string) bool {
		return o == c || (o == "130000") || (o == "130100" && len(c) == 6 && c[:4] == "1301")
	}
	roles := []struct {
		p    account.Principal
		want Role
	}{
		{citizen, RoleCaller}, {guardian, RoleCaller}, {stranger, RoleNone},
		{d("d130102", "130102"), RoleDispatcher}, {d("d130100", "130100"), RoleDispatcher},
		{d("d130104", "130104"), RoleObserver}, {d("d130602", "130602"), RoleNone},
		{sup("130102"), RoleDispatcher}, {sup("130000"), RoleObserver}, {sup("130600"), RoleNone},
		{handler, RoleNone}, {account.Principal{}, RoleNone},
	}
	for _, c := range roles {
		if got := RoleOf(c.p, v, within); got != c.want {
			t.Errorf("RoleOf(%s %s) = %s, want %s", c.p.Actor(), c.p.Center, got, c.want)
		}
	}

	answered := v
	answered.State, answered.AnsweredBy = Answered, "d130102"
	other := d("d130102b", "130102")
	cases := []struct {
		name string
		p    account.Principal
		r    Role
		v    View
		a    Action
		err  error
	}{
		{"caller cancels", citizen, RoleCaller, v, ActCancel, nil},
		{"caller writes", citizen, RoleCaller, v, ActMessage, nil},
		{"caller sends position", citizen, RoleCaller, v, ActPosition, nil},
		{"caller may not answer", citizen, RoleCaller, v, ActAnswer, errForbidden},
		{"caller may not end", citizen, RoleCaller, answered, ActEnd, errForbidden},
		{"caller may not read incident", citizen, RoleCaller, answered, ActIncident, errForbidden},
		{"stranger gets not found", stranger, RoleNone, v, ActCancel, ErrNotFound},
		{"dispatcher answers", d("d130102", "130102"), RoleDispatcher, v, ActAnswer, nil},
		{"dispatcher may not cancel", d("d130102", "130102"), RoleDispatcher, v, ActCancel, errForbidden},
		{"dispatcher writes only after answering", d("d130102", "130102"), RoleDispatcher, v, ActMessage, ErrTransition},
		{"answerer writes", d("d130102", "130102"), RoleDispatcher, answered, ActMessage, nil},
		{"colleague may not write", other, RoleDispatcher, answered, ActMessage, ErrNotYours},
		{"answerer ends", d("d130102", "130102"), RoleDispatcher, answered, ActEnd, nil},
		{"colleague may not end", other, RoleDispatcher, answered, ActEnd, ErrNotYours},
		{"supervisor may end", sup("130102"), RoleDispatcher, answered, ActEnd, nil},
		{"colleague may not transfer", other, RoleDispatcher, answered, ActTransfer, ErrNotYours},
		{"queued transfer by centre", other, RoleDispatcher, v, ActTransfer, nil},
		{"answerer accepts position", d("d130102", "130102"), RoleDispatcher, answered, ActAccept, nil},
		{"observer may not answer", d("d130104", "130104"), RoleObserver, v, ActAnswer, errForbidden},
		{"nobody abandons by hand", d("d130102", "130102"), RoleDispatcher, v, ActAbandon, errForbidden},
		{"nobody overflows by hand", sup("130102"), RoleDispatcher, v, ActOverflow, errForbidden},
		{"dispatcher records call-back", d("d130102", "130102"), RoleDispatcher, View{State: Abandoned}, ActCallback, nil},
	}
	for _, c := range cases {
		err := Authorize(c.p, c.r, c.v, c.a)
		if (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.err)
		}
	}
}

func TestPositionValidate(t *testing.T) {
	bad := []Position{{Lat: 91, Lng: 114}, {Lat: 38, Lng: 181}, {Lat: 0, Lng: 0}, {Lat: 38, Lng: 114, AccuracyM: -1},
		{Lat: 38, Lng: 114, AccuracyM: 1e6}}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrInvalidLocation) {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if err := (Position{Lat: 38.04, Lng: 114.52, AccuracyM: 10}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestSummarise(t *testing.T) {
	var w []float64
	for i := 1; i <= 20; i++ {
		w = append(w, float64(i))
	}
	st := summarise(w)
	if st.Answered != 20 || st.AnswerTime.P50 != 10 || st.AnswerTime.P90 != 18 || st.AnswerTime.P95 != 19 {
		t.Fatalf("%+v", st)
	}
	if st.Within.S10 != 0.5 || st.Within.S15 != 0.75 || st.Within.S20 != 1 {
		t.Fatalf("%+v", st.Within)
	}
}
