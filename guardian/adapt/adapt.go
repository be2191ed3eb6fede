// Package adapt connects the guardian feature to its neighbours without
// either importing the other's internals: the alarm service seen as
// guardian.Alarms, and the citizen directory seen as guardian.Citizens.
// The node's wiring (app/wire_guardian.go) and the guardian tests both use
// it. Alarms never import guardian; this package imports both.
package adapt

import (
	"context"
	"errors"

	"open110/account"
	"open110/alarm"
	"open110/guardian"
)

// Alarms adapts *alarm.Service to guardian.Alarms.
type Alarms struct{ S *alarm.Service }

var _ guardian.Alarms = Alarms{}

// RaiseLinked raises the alarm with alarm.RaiseFor (routed by the
// position, linked to the trip, the traveller as caller, the guardian as
// raiser) and posts the trip's summary into its chat as a system note.
func (a Alarms) RaiseLinked(ctx context.Context, req guardian.AlarmRequest) (guardian.AlarmRef, error) {
	var loc *alarm.Position
	if req.Location != nil {
		loc = &alarm.Position{Lat: req.Location.Lat, Lng: req.Location.Lng, AccuracyM: req.Location.AccuracyM, Source: "trip"}
	}
	al, created, err := a.S.RaiseFor(ctx, alarm.Kind(req.Kind), loc, req.TravellerID, req.TravellerPhone, req.RaisedByID,
		req.IdempotencyKey, req.Links)
	if err != nil {
		return guardian.AlarmRef{}, err
	}
	if created && req.Note != "" {
		// The alarm stands without it; the note is a convenience.
		_, _ = a.S.AddSystemMessage(ctx, al.ID, "guardian", req.Note)
	}
	return guardian.AlarmRef{ID: al.ID, Center: al.Center.Code, At: al.RaisedAt}, nil
}

// Access asks the alarm service what p is to the alarm. The alarm
// feature's roles know dispatchers, supervisors and admins; a handling
// officer (处理民警) of a centre is asked about as that centre's dispatcher
// would be, because guardian grants trip reads to both alike (guardian's
// policy still checks the officer's real role).
func (a Alarms) Access(ctx context.Context, p account.Principal, alarmID string) (guardian.AlarmAccess, error) {
	q := p
	if p.IsOfficer(account.Handler) {
		q.Role = account.Dispatcher
	}
	acc, err := a.S.Access(ctx, q, alarmID)
	if err != nil {
		return guardian.AlarmAccess{}, err
	}
	return guardian.AlarmAccess{Role: string(acc.Role), State: string(acc.State), Center: acc.Center.Code}, nil
}

// Citizens finds registered citizens by phone through the account service.
type Citizens struct{ Accounts *account.Service }

// CitizenByPhone implements guardian.Citizens.
func (c Citizens) CitizenByPhone(ctx context.Context, phone string) (string, error) {
	rec, err := c.Accounts.CitizenByPhone(ctx, phone)
	if errors.Is(err, account.ErrCitizenNotFound) {
		return "", guardian.ErrNotRegistered
	}
	if err != nil {
		return "", err
	}
	return rec.ID, nil
}
