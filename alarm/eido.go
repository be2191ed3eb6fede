package alarm

import (
	"context"
	"fmt"
	"time"

	"open110/account"
)

// EIDO export.
//
// The document follows the shape of NENA's Emergency Incident Data Object
// (NENA-STA-021.1a-2022, JSON encoding): one message with component arrays
// that reference each other by "$id"/"$ref". Field names used, from that
// standard: eidoMessageIdentifier, lastUpdateTimeStamp,
// sendingSystemIdentifier; incidentComponent (incidentTrackingIdentifier,
// incidentTypeCommonRegistryText, incidentTypeInternalText,
// incidentCommonPriorityNumber, incidentStatusCommonRegistryText,
// disposition, locationReference, agencyReference, agentReference);
// callComponent (callTrackingIdentifier, callTypeDescription,
// callStartTimeStamp, callEndTimeStamp); locationComponent
// (locationByValue, locationTypeDescription); agencyComponent
// (agencyIdentifier, agencyName); agentComponent (agentIdentifier,
// agentRoleText); emergencyResourceComponent (resourceIdentifier and the
// unit's status times); notesComponent (noteText, noteDateTimeStamp,
// authorReference). Values this platform has no registry entry for carry
// our internal text beside an approximate common-registry term. It is an
// EIDO-shaped export a CAD integration can map, not a certified EIDO.

var categoryRegistry = map[string]string{
	"刑事": "Law-Crime", "治安": "Law-Public Order", "交通": "Law-Traffic", "火灾": "Fire",
	"求助": "Assistance", "纠纷": "Law-Dispute", "其他": "Other",
}

// EIDO returns the incident as an EIDO-shaped JSON document. The export is
// audited (alarm.incident.export). Errors: alarm_not_found.
func (s *Service) EIDO(ctx context.Context, p account.Principal, id, requestIP string) (map[string]any, error) {
	if p.IsCitizen() {
		return nil, ErrNotFound
	}
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	inc, err := s.Incident(ctx, p, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.Messages(ctx, p, id, 0)
	if err != nil {
		return nil, err
	}
	trail, err := s.Positions(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.auditExport(ctx, p, a, requestIP); err != nil {
		return nil, err
	}
	now := s.now()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	agency := "agency-" + a.Center.Code
	status := "Open"
	if a.State.Terminal() {
		status = "Closed"
	}
	incident := map[string]any{
		"$id":                              "incident-1",
		"incidentTrackingIdentifier":       fmt.Sprintf("urn:emergency:uid:incidentid:%s:open110.%s", a.ID, a.Center.Code),
		"lastUpdateTimeStamp":              ts(now),
		"incidentTypeInternalText":         inc.Category,
		"incidentTypeCommonRegistryText":   categoryRegistry[inc.Category],
		"incidentCommonPriorityNumber":     inc.Priority,
		"incidentStatusCommonRegistryText": []string{status},
		"agencyReference":                  []map[string]string{{"$ref": agency}},
		"callReference":                    []map[string]string{{"$ref": "call-1"}},
	}
	if a.Disposition != "" {
		incident["disposition"] = []map[string]string{{"dispositionInternalText": a.Disposition}}
	}
	doc := map[string]any{
		"$id":                     fmt.Sprintf("urn:emergency:eido:open110:%s:%d", a.ID, now.UnixMilli()),
		"eidoMessageIdentifier":   fmt.Sprintf("urn:emergency:eido:open110:%s:%d", a.ID, now.UnixMilli()),
		"lastUpdateTimeStamp":     ts(now),
		"sendingSystemIdentifier": "urn:open110:" + a.Center.Code,
		"agencyComponent": []map[string]any{{
			"$id": agency, "agencyIdentifier": "urn:open110:center:" + a.Center.Code, "agencyName": a.Center.Name,
		}},
	}
	call := map[string]any{
		"$id":                    "call-1",
		"callTrackingIdentifier": fmt.Sprintf("urn:emergency:uid:callid:%s:open110", a.ID),
		"callTypeDescription":    string(a.Kind),
		"callStartTimeStamp":     ts(a.RaisedAt),
		"callStateText":          string(a.State),
	}
	if a.AnsweredAt != nil {
		call["callAnswerTimeStamp"] = ts(*a.AnsweredAt)
	}
	if a.EndedAt != nil {
		call["callEndTimeStamp"] = ts(*a.EndedAt)
	}
	if a.CallerPhone != "" {
		call["callbackNumber"] = a.CallerPhone
	}
	doc["callComponent"] = []map[string]any{call}

	var locs []map[string]any
	var locRefs []map[string]string
	if a.Location != nil {
		locs = append(locs, map[string]any{
			"$id": "location-confirmed", "locationTypeDescription": "confirmed caller location (WGS-84)",
			"locationByValue": geoPoint(*a.Location), "civicAddressText": inc.Address,
		})
		locRefs = append(locRefs, map[string]string{"$ref": "location-confirmed"})
	}
	for _, f := range trail {
		locs = append(locs, map[string]any{
			"$id": fmt.Sprintf("location-%d", f.Seq), "locationTypeDescription": "caller position report",
			"locationByValue": geoPoint(f.Position), "lastUpdateTimeStamp": ts(f.At),
		})
	}
	if len(locs) > 0 {
		doc["locationComponent"] = locs
		incident["locationReference"] = locRefs
	}
	if a.AnsweredBy != "" {
		doc["agentComponent"] = []map[string]any{{"$id": "agent-1", "agentIdentifier": a.AnsweredBy, "agentRoleText": "Call Taker"}}
		incident["agentReference"] = []map[string]string{{"$ref": "agent-1"}}
	}
	var res []map[string]any
	for _, u := range inc.Units {
		r := map[string]any{"$id": "resource-" + u.ID, "resourceIdentifier": u.Unit, "dispatchedTimeStamp": ts(u.DispatchedAt)}
		if u.ArrivedAt != nil {
			r["onSceneTimeStamp"] = ts(*u.ArrivedAt)
		}
		if u.ClearedAt != nil {
			r["clearedTimeStamp"] = ts(*u.ClearedAt)
		}
		if u.Note != "" {
			r["resourceNotesText"] = u.Note
		}
		res = append(res, r)
	}
	if len(res) > 0 {
		doc["emergencyResourceComponent"] = res
	}
	var notes []map[string]any
	if inc.Notes != "" {
		n := map[string]any{"$id": "note-incident", "noteText": inc.Notes, "noteTypeText": "incident notes"}
		if inc.UpdatedAt != nil {
			n["noteDateTimeStamp"] = ts(*inc.UpdatedAt)
		}
		notes = append(notes, n)
	}
	for _, m := range msgs {
		notes = append(notes, map[string]any{"$id": fmt.Sprintf("note-chat-%d", m.Seq), "noteText": m.Text,
			"noteDateTimeStamp": ts(m.At), "noteTypeText": "chat from " + string(m.From)})
	}
	for _, c := range inc.Callbacks {
		notes = append(notes, map[string]any{"$id": "note-" + c.ID, "noteText": "call-back: " + c.Outcome + " " + c.Note,
			"noteDateTimeStamp": ts(c.At), "noteTypeText": "call-back"})
	}
	if len(notes) > 0 {
		doc["notesComponent"] = notes
	}
	doc["incidentComponent"] = []map[string]any{incident}
	return doc, nil
}

// geoPoint is a position as a GeoJSON point with its uncertainty radius.
func geoPoint(p Position) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{p.Lng, p.Lat}, "uncertaintyRadiusMeters": p.AccuracyM}
}
