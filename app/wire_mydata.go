package app

import (
	"context"
	"fmt"
	"time"

	"open110/account"
	"open110/admin/settings"
	"open110/alarm"
	"open110/media"
	"open110/mydata"
	"open110/platform/apperr"
	"open110/profile"
)

// myDataSources lists every feature's part of a citizen's data for "my
// data" (PIPL): alarms, emergency profile, trips, tips, missing-person
// notices, reward clues and alarm media. Each feature decides what it may
// delete and names what it keeps (open case, legal retention, evidence).
// The sources reach the features when called, so the order of the wirings
// does not matter.
func myDataSources(a *App, alarms *alarmRef, store *profile.Store) []mydata.Source {
	return []mydata.Source{
		alarmData{alarms},
		profileData{store, a},
		featureData{name: "trips", export: func(ctx context.Context, id string) (any, error) {
			if a.guardian == nil {
				return nil, errNotWired
			}
			return a.guardian.ExportFor(ctx, id)
		}, del: func(ctx context.Context, id string, dry bool) ([]mydata.Hold, error) {
			if a.guardian == nil {
				return nil, errNotWired
			}
			return a.guardian.DeleteFor(ctx, id, dry)
		}},
		featureData{name: "tips", export: func(ctx context.Context, id string) (any, error) {
			if a.tips == nil {
				return nil, errNotWired
			}
			return a.tips.ExportFor(ctx, id)
		}, del: func(ctx context.Context, id string, dry bool) ([]mydata.Hold, error) {
			if a.tips == nil {
				return nil, errNotWired
			}
			return a.tips.DeleteFor(ctx, id, dry)
		}},
		featureData{name: "missing", export: func(ctx context.Context, id string) (any, error) {
			if a.missing == nil {
				return nil, errNotWired
			}
			return a.missing.ExportFor(ctx, id)
		}, del: func(ctx context.Context, id string, dry bool) ([]mydata.Hold, error) {
			if a.missing == nil {
				return nil, errNotWired
			}
			return a.missing.DeleteFor(ctx, id, dry)
		}},
		featureData{name: "rewards", export: func(ctx context.Context, id string) (any, error) {
			if a.rewards == nil {
				return nil, errNotWired
			}
			return a.rewards.ExportFor(ctx, id)
		}, del: func(ctx context.Context, id string, dry bool) ([]mydata.Hold, error) {
			if a.rewards == nil {
				return nil, errNotWired
			}
			return a.rewards.DeleteFor(ctx, id, dry)
		}},
		mediaData{a: a, ref: alarms},
	}
}

var errNotWired = apperr.New(apperr.Unavailable, "feature_unavailable", "this part of your data is not available on this node")

// featureData is a my-data source from a feature's ExportFor/DeleteFor.
type featureData struct {
	name   string
	export func(ctx context.Context, citizenID string) (any, error)
	del    func(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error)
}

func (f featureData) Name() string { return f.name }
func (f featureData) Export(ctx context.Context, id string) (any, error) {
	return f.export(ctx, id)
}
func (f featureData) Delete(ctx context.Context, id string, dryRun bool) ([]mydata.Hold, error) {
	return f.del(ctx, id, dryRun)
}

// mediaData is the media recorded in the citizen's alarms (live video and
// voice segments, dispatchers' snapshots), by reference: alarm, track,
// time, SHA-256 and size — the bytes are evidence, served only through the
// audited playback. Deletion keeps all of it as evidence of the alarm for
// the evidence retention period.
type mediaData struct {
	a   *App
	ref *alarmRef
}

// MyMedia is one alarm's media by reference.
type MyMedia struct {
	AlarmID   string           `json:"alarm_id"`
	Segments  []media.Segment  `json:"recordings"`
	Snapshots []media.Snapshot `json:"snapshots"`
}

func (mediaData) Name() string { return "media" }

func (m mediaData) myAlarms(ctx context.Context, citizenID string) ([]alarm.Alarm, error) {
	return citizenAlarms(ctx, m.ref, citizenID)
}

// citizenAlarms is every alarm the citizen raised (or was raised for
// them), oldest first, read page by page (List stops at 500).
func citizenAlarms(ctx context.Context, ref *alarmRef, citizenID string) ([]alarm.Alarm, error) {
	p := account.Principal{Kind: account.Citizen, ID: citizenID}
	out := []alarm.Alarm{}
	cursor := ""
	for {
		page, next, err := ref.get().ListWindow(ctx, p, time.Unix(0, 0), ref.a.Now().Add(24*time.Hour), cursor, alarm.MaxWindowPage)
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			out = append(out, x.Alarm)
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

func (m mediaData) Export(ctx context.Context, citizenID string) (any, error) {
	if m.a.media == nil {
		return nil, errNotWired
	}
	als, err := m.myAlarms(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	out := []MyMedia{}
	for _, x := range als {
		segs, err := m.a.media.SegmentsOf(ctx, x.ID)
		if err != nil {
			return nil, err
		}
		snaps, err := m.a.media.SnapshotsOf(ctx, x.ID)
		if err != nil {
			return nil, err
		}
		if len(segs) == 0 && len(snaps) == 0 {
			continue
		}
		for i := range snaps {
			snaps[i].TakenBy = "" // officers are not named to citizens
		}
		if segs == nil {
			segs = []media.Segment{}
		}
		out = append(out, MyMedia{AlarmID: x.ID, Segments: segs, Snapshots: snaps})
	}
	return out, nil
}

func (m mediaData) Delete(ctx context.Context, citizenID string, _ bool) ([]mydata.Hold, error) {
	x, err := m.Export(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	days := m.a.settings.Get().EvidenceRetentionDays
	holds := []mydata.Hold{}
	for _, mm := range x.([]MyMedia) {
		holds = append(holds, mydata.Hold{Source: "media", Kind: "alarm_media", ID: mm.AlarmID, Reason: mydata.ReasonEvidence,
			Detail: fmt.Sprintf("报警录音录像和截图是证据，按规定保存%d天 / recordings and snapshots of the alarm are evidence, kept for %d days", days, days)})
	}
	return holds, nil
}

// alarmPurger is the alarm feature's retention job (admin retention run,
// audited per run): 12110 gateway receipts of closed alarms past the
// closed-data retention are deleted; the alarm record, chat, positions and
// media are kept, and alarms whose evidence retention has passed are only
// counted (evidence_due) for a person to decide.
type alarmPurger struct{ ref *alarmRef }

func (alarmPurger) Name() string { return "alarm" }

func (p alarmPurger) Purge(ctx context.Context, st settings.Settings, now time.Time) (map[string]int64, error) {
	day := 24 * time.Hour
	return p.ref.get().PurgeClosed(ctx, now.Add(-time.Duration(st.ClosedRetentionDays)*day), now.Add(-time.Duration(st.EvidenceRetentionDays)*day))
}

// guardianPurger purges ended trips not linked to an alarm past the trip
// retention (guardian runs with ExternalPurge, so this job is the one that
// deletes them, and each run is audited).
type guardianPurger struct{ a *App }

func (guardianPurger) Name() string { return "guardian" }

func (p guardianPurger) Purge(ctx context.Context, _ settings.Settings, now time.Time) (map[string]int64, error) {
	if p.a.guardian == nil {
		return nil, errNotWired
	}
	n, err := p.a.guardian.PurgeTrips(ctx, now)
	return map[string]int64{"trips": n}, err
}

// mediaPurger deletes nothing: recordings and snapshots are evidence. It
// counts those past the evidence retention for a person to decide.
type mediaPurger struct{ a *App }

func (mediaPurger) Name() string { return "media" }

func (p mediaPurger) Purge(ctx context.Context, st settings.Settings, now time.Time) (map[string]int64, error) {
	if p.a.media == nil {
		return nil, errNotWired
	}
	segs, snaps, err := p.a.media.EvidenceDue(ctx, now.Add(-time.Duration(st.EvidenceRetentionDays)*24*time.Hour))
	return map[string]int64{"evidence_due_segments": segs, "evidence_due_snapshots": snaps}, err
}
