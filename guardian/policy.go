package guardian

import "open110/account"

// Viewer roles of a trip.
const (
	RoleTraveller = "traveller"
	RoleGuardian  = "guardian"
	RolePolice    = "police"
)

// tripRoleOf is who p is to a trip: the traveller, a guardian the trip
// names through a link that is still accepted, or nobody. Officers are
// never anybody here: police reach trip data only through a linked alarm
// (policeMay).
func tripRoleOf(p account.Principal, ownerID string, guardian bool) string {
	if !p.IsCitizen() || p.ID == "" {
		return ""
	}
	if p.ID == ownerID {
		return RoleTraveller
	}
	if guardian {
		return RoleGuardian
	}
	return ""
}

// policeMay says whether officer p may read the trip data behind a linked
// alarm, given what the alarm feature says p is to it: only a dispatcher
// or handling officer of a centre the alarm is with now (not one it passed
// through, not supervisors or admins by rank), and only while the case is
// open (queued, answered, or abandoned awaiting call-back).
func policeMay(p account.Principal, a AlarmAccess) bool {
	if !p.IsOfficer(account.Dispatcher, account.Handler) {
		return false
	}
	if a.Role != "dispatcher" {
		return false
	}
	switch a.State {
	case "queued", "answered", "abandoned":
		return true
	}
	return false
}

// visibleEvent says whether a viewer role sees an event of an audience.
func visibleEvent(role, audience string) bool {
	switch audience {
	case audienceAll:
		return true
	case audienceGuardians:
		return role == RoleGuardian || role == RolePolice
	case audienceTraveller:
		return role == RoleTraveller
	}
	return false
}

// visibleAlarm says whether a viewer sees an alarm raised from the trip.
// The traveller sees only their own SOS: a guardian's alarm or a duress
// alarm on the traveller's screen could give them away to whoever is
// beside them.
func visibleAlarm(role, raisedBy string) bool {
	if role == RoleTraveller {
		return raisedBy == RaisedByTraveller
	}
	return true
}
