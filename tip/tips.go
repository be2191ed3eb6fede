package tip

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
)

// NewTip is what a tipster submits.
type NewTip struct {
	Category    Category `json:"category"`
	Description string   `json:"description"`
	Position    Position `json:"position"`
	Center      string   `json:"center"`    // optional: another receiving unit than the routed one
	Media       []string `json:"media"`     // IDs of attested captures from UploadCapture
	Anonymous   bool     `json:"anonymous"` // store no identity at all
	Name        string   `json:"name"`      // optional real name, sealed with the phone
}

// check trims in and validates what needs no lookup. Errors:
// unknown_category, invalid_description, invalid_position, invalid_name,
// too_many_media.
func (in *NewTip) check(maxMedia int) error {
	in.Description = strings.TrimSpace(in.Description)
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case !ValidCategory(in.Category):
		return ErrUnknownCategory
	case in.Description == "" || utf8.RuneCountInString(in.Description) > 4000 || !utf8.ValidString(in.Description):
		return ErrDescription
	case !validPosition(in.Position):
		return ErrInvalidPosition
	case utf8.RuneCountInString(in.Name) > 64 || !utf8.ValidString(in.Name):
		return ErrNameTooLong
	case len(in.Media) > maxMedia:
		return ErrTooManyMedia.With("max", maxMedia)
	}
	return nil
}

// Submit stores a tip for the citizen p. The receiving centre is the one
// covering the position unless the tipster picked another active centre.
// Unless anonymous, the name and the signed-in phone are sealed. Abuse
// (many tips in a day, the same text or media again) only flags the tip.
// Errors: unknown_category, invalid_description, invalid_position,
// invalid_name, unknown_center, outside_jurisdiction (no centre picked and
// the position is outside the province), too_many_media, media_unavailable,
// media_far_from_tip.
func (s *Service) Submit(ctx context.Context, p account.Principal, in NewTip) (*Tip, error) {
	if err := in.check(s.cfg.MaxMedia); err != nil {
		return nil, err
	}
	routed := ""
	if r, err := s.router.Route(in.Position.Lat, in.Position.Lng); err == nil {
		routed = r.Center.Code
	} else if in.Center == "" {
		return nil, err
	}
	center := routed
	if in.Center != "" && in.Center != routed {
		c, err := s.accounts.GetCenter(ctx, in.Center)
		if err != nil || !c.Active {
			return nil, ErrUnknownCenter
		}
		center = c.Code
	}
	owner := s.ownerRef(p)
	now := s.clock()
	t := &Tip{
		ID: account.NewID("tip"), Category: in.Category, Description: in.Description, Position: in.Position,
		Center: Unit{Code: center}, RoutedTo: routed, Identity: "anonymous", State: Submitted, CreatedAt: now,
		Flags: []string{}, ownerRef: owner, descHash: sha256Hex([]byte(strings.Join(strings.Fields(strings.ToLower(in.Description)), " "))),
	}

	// Media: each must be this tipster's, unattached, and shot near the tip.
	seen := map[string]bool{}
	for _, id := range in.Media {
		if seen[id] {
			continue
		}
		seen[id] = true
		m, err := s.mediaByID(ctx, s.db, id)
		if errors.Is(err, ErrMediaNotFound) || err == nil && (m.ownerRef != owner || m.tipID != "") {
			return nil, ErrMediaUnavailable.With("media", id)
		}
		if err != nil {
			return nil, err
		}
		if distanceKm(m.Position, in.Position) > s.cfg.NearKm {
			return nil, ErrMediaFar.With("media", id).With("max_km", s.cfg.NearKm)
		}
		t.Media = append(t.Media, m)
	}
	if t.Media == nil {
		t.Media = []Media{}
	}

	if !in.Anonymous {
		plain, _ := json.Marshal(Identity{Name: in.Name, Phone: p.Phone})
		sealed, err := s.keys.Seal(plain, "tip:"+t.ID)
		if err != nil {
			return nil, internal("seal identity", err)
		}
		t.sealed, t.Identity = sealed, "sealed"
	}
	flags, err := s.abuseFlags(ctx, t)
	if err != nil {
		return nil, err
	}
	t.Flags = flags

	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tips (id, owner_ref, category, description, lat, lng, accuracy_m, center_code, routed_center,
			identity_key_id, identity_dek, identity_ct, state, flags, desc_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`,
			t.ID, owner, string(t.Category), t.Description, t.Position.Lat, t.Position.Lng, t.Position.AccuracyM, center, routed,
			t.sealed.KeyID, t.sealed.WrappedDEK, t.sealed.Ciphertext, string(Submitted), flagsJSON(t.Flags), t.descHash, db.Micros(now))
		if err != nil {
			return internal("store tip", err)
		}
		ids := make([]any, 0, len(t.Media))
		atts := make([]any, 0, len(t.Media))
		for _, m := range t.Media {
			res, err := tx.Exec(ctx, "UPDATE tip_media SET tip_id = $1 WHERE id = $2 AND tip_id = '' AND owner_ref = $3", t.ID, m.ID, owner)
			if err != nil {
				return internal("attach media", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrMediaUnavailable.With("media", m.ID)
			}
			ids = append(ids, m.ID)
			atts = append(atts, m.AttestationHash)
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{
			Actor: tipsterActor, Action: "tip.submit", Object: "tip:" + t.ID,
			Detail: map[string]any{"category": string(t.Category), "center": center, "media": ids, "attestations": atts,
				"description_sha256": sha256Hex([]byte(t.Description)), "identity": t.Identity},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.nameCenter(ctx, &t.Center)
	return t, nil
}

// abuseFlags marks, without refusing, a tipster sending many tips or the
// same text or media again.
func (s *Service) abuseFlags(ctx context.Context, t *Tip) ([]string, error) {
	flags := []string{}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM tips WHERE owner_ref = $1 AND created_at >= $2",
		t.ownerRef, db.Micros(t.CreatedAt.Add(-s.cfg.RateWindow))).Scan(&n); err != nil {
		return nil, internal("rate", err)
	}
	if n+1 > s.cfg.RateFlagAt {
		flags = append(flags, "rate")
	}
	var dup int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM tips WHERE owner_ref = $1 AND desc_hash = $2 AND created_at >= $3",
		t.ownerRef, t.descHash, db.Micros(t.CreatedAt.Add(-s.cfg.DupWindow))).Scan(&dup); err != nil {
		return nil, internal("duplicates", err)
	}
	if dup == 0 && len(t.Media) > 0 {
		args := []any{t.ownerRef}
		for _, m := range t.Media {
			args = append(args, m.SHA256)
		}
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM tip_media WHERE owner_ref = $1 AND tip_id <> '' AND sha256 IN ("+
			db.Placeholders(2, len(t.Media))+")", args...).Scan(&dup); err != nil {
			return nil, internal("duplicates", err)
		}
	}
	if dup > 0 {
		flags = append(flags, "duplicate")
	}
	return flags, nil
}

// Summary is a tip in a list: no description, no media, nothing to audit.
type Summary struct {
	ID         string    `json:"id"`
	Category   Category  `json:"category"`
	Center     Unit      `json:"center"`
	State      State     `json:"state"`
	Result     Result    `json:"result,omitempty"`
	Handler    string    `json:"handler,omitempty"`
	Flags      []string  `json:"flags,omitempty"`
	MediaCount int       `json:"media_count"`
	Identity   string    `json:"identity"`
	CreatedAt  string    `json:"created_at"`
	Views      *ViewInfo `json:"views,omitempty"`
	Messages   int       `json:"messages,omitempty"`
}

// ViewInfo tells a tipster how often and when officers last looked.
type ViewInfo struct {
	Count int    `json:"count"`
	Last  string `json:"last,omitempty"`
}

func summary(t *Tip, media int) Summary {
	return Summary{ID: t.ID, Category: t.Category, Center: t.Center, State: t.State, Result: t.Result, Handler: t.Handler,
		Flags: t.Flags, MediaCount: media, Identity: t.Identity, CreatedAt: t.CreatedAt.Format(rfc3339)}
}

const rfc3339 = "2006-01-02T15:04:05.999999Z07:00"

// Filter selects tips for the officers' queue.
type Filter struct {
	Center string // default the officer's centre
	State  State  // "" for all open (not closed) tips; "all" for every state
	Mine   bool   // only tips assigned to the calling handler
}

// Queue lists tips for an officer: a handler sees their centre's (or only
// their own with Mine), a supervisor their centre's and, by Center, any
// centre below theirs. Errors: forbidden.
func (s *Service) Queue(ctx context.Context, p account.Principal, f Filter) ([]Summary, error) {
	if !p.IsOfficer(account.Handler, account.Supervisor) {
		return nil, apperr.ErrForbidden.Msg("tips are for handling officers and supervisors")
	}
	if f.Center == "" {
		f.Center = p.Center
	}
	allowed := p.Center == f.Center || p.IsOfficer(account.Supervisor) && covers(p.Center, f.Center)
	if !allowed {
		return nil, apperr.ErrForbidden.Msg("that centre is not yours")
	}
	where := "center_code = $1"
	args := []any{f.Center}
	switch f.State {
	case "":
		where += " AND state <> 'closed'"
	case "all":
	case Submitted, Assigned, Handling, Closed:
		args = append(args, string(f.State))
		where += " AND state = $2"
	default:
		return nil, apperr.New(apperr.Invalid, "invalid_state_filter", "state: submitted, assigned, handling, closed or all")
	}
	if f.Mine {
		args = append(args, p.ID)
		where += " AND handler_id = $" + itoa(len(args))
	}
	tips, err := s.listTips(ctx, where+" ORDER BY created_at DESC LIMIT 500", args...)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, tips)
}

func (s *Service) summaries(ctx context.Context, tips []*Tip) ([]Summary, error) {
	ids := make([]string, len(tips))
	for i, t := range tips {
		ids[i] = t.ID
	}
	counts, err := s.mediaCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(tips))
	for i, t := range tips {
		out[i] = summary(t, counts[t.ID])
	}
	return out, nil
}

// Mine lists the citizen's own tips with state, result and when officers
// last looked (not who).
func (s *Service) Mine(ctx context.Context, p account.Principal) ([]Summary, error) {
	tips, err := s.listTips(ctx, "owner_ref = $1 ORDER BY created_at DESC LIMIT 200", s.ownerRef(p))
	if err != nil {
		return nil, err
	}
	out, err := s.summaries(ctx, tips)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Flags, out[i].Handler = nil, ""
		views, err := s.Views(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		vi := &ViewInfo{Count: len(views)}
		if len(views) > 0 {
			vi.Last = views[len(views)-1].At.Format(rfc3339)
		}
		out[i].Views = vi
		msgs, err := s.messages(ctx, out[i].ID, 0)
		if err != nil {
			return nil, err
		}
		out[i].Messages = len(msgs)
	}
	return out, nil
}

// Detail is one tip with its dialogue, and for the tipster the looks.
type Detail struct {
	*Tip
	Messages []Message `json:"messages"`
	Views    []View    `json:"views,omitempty"`
	// Assigned says whether the caller is the tip's assigned handler (may
	// reveal, talk and close).
	Assigned bool `json:"assigned,omitempty"`
}

// Get returns a tip: to its tipster (with the officers' looks), or to an
// officer who may see it — which is audited as tip.view with the officer's
// sign-in and request IPs. Others get tip_not_found (a tip's existence is
// not disclosed).
func (s *Service) Get(ctx context.Context, p account.Principal, id, ip string) (*Detail, error) {
	t, err := s.getTip(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Tip: t}
	switch {
	case p.IsCitizen() && t.ownerRef == s.ownerRef(p):
		t.Handler, t.Flags = "", []string{}
		if d.Views, err = s.Views(ctx, id); err != nil {
			return nil, err
		}
	case p.IsOfficer() && canView(p, t):
		if _, err := s.audit.Append(ctx, officerEntry(p, ip, "tip.view", id, "", nil)); err != nil {
			return nil, err
		}
		d.Assigned = isAssigned(p, t)
	default:
		return nil, ErrTipNotFound
	}
	if d.Messages, err = s.messages(ctx, id, 0); err != nil {
		return nil, err
	}
	return d, nil
}

// lookActions maps audited officer actions to what the tipster is told.
var lookActions = map[string]string{
	"tip.view": "opened", "tip.media.view": "media", "tip.identity.reveal": "identity", "tip.export": "exported",
}

// Views returns the officers' looks at a tip — when and what, never who.
func (s *Service) Views(ctx context.Context, id string) ([]View, error) {
	out := []View{}
	var after int64
	for {
		es, err := s.audit.List(ctx, audit.Filter{Object: "tip:" + id, Actor: "officer:*", AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if what, ok := lookActions[e.Action]; ok {
				out = append(out, View{At: e.At, What: what})
			}
			after = e.Seq
		}
		if len(es) < 1000 {
			return out, nil
		}
	}
}

// AccessLog returns every audited action on a tip (who, when, from which
// IPs, why) for a supervisor or administrator over its centre. The entries
// never hold the identity. Errors: tip_not_found, forbidden.
func (s *Service) AccessLog(ctx context.Context, p account.Principal, id string) ([]audit.Entry, error) {
	t, err := s.getTip(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadAccessLog(p, t) {
		if canView(p, t) {
			return nil, apperr.ErrForbidden.Msg("the access log is for supervisors")
		}
		return nil, ErrTipNotFound
	}
	var out []audit.Entry
	var after int64
	for {
		es, err := s.audit.List(ctx, audit.Filter{Object: "tip:" + id, AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
		if len(es) < 1000 {
			break
		}
		after = es[len(es)-1].Seq
	}
	if out == nil {
		out = []audit.Entry{}
	}
	return out, nil
}

// officerTip loads a tip an officer may see, or tip_not_found.
func (s *Service) officerTip(ctx context.Context, q db.Querier, p account.Principal, id string) (*Tip, error) {
	t, err := s.getTip(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !canView(p, t) && !canAssign(p, t) {
		return nil, ErrTipNotFound
	}
	return t, nil
}

// assignable loads a tip p may assign: tip_not_found when p may not see
// it, forbidden when p sees it but is not a supervisor over its centre.
func (s *Service) assignable(ctx context.Context, p account.Principal, id string) (*Tip, error) {
	t, err := s.officerTip(ctx, s.db, p, id)
	if err != nil {
		return nil, err
	}
	if !canAssign(p, t) {
		return nil, apperr.ErrForbidden.Msg("only a supervisor of the receiving centre assigns tips")
	}
	return t, nil
}

// Assign gives a tip to a handling officer of its centre (again, to
// reassign). Only a supervisor of the centre or above may. Errors:
// tip_not_found, forbidden, invalid_handler, invalid_state (closed).
func (s *Service) Assign(ctx context.Context, p account.Principal, id, handler, ip string) (*Tip, error) {
	t, err := s.assignable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	o, err := s.accounts.GetOfficer(ctx, handler)
	if err != nil || o.Role != account.Handler || o.Center != t.Center.Code || o.Disabled {
		return nil, ErrNotAssignable
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE tips SET handler_id = $2, handler_username = $3, state = 'assigned', assigned_at = $4, updated_at = $4
			WHERE id = $1 AND state <> 'closed'`, id, o.ID, o.Username, db.Micros(now))
		if err != nil {
			return internal("assign", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		_, err = s.audit.AppendTx(ctx, tx, officerEntry(p, ip, "tip.assign", id, "", map[string]any{"handler": o.Username}))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.getTip(ctx, s.db, id)
}

// Accept starts handling (assigned → handling). Only the assigned handler.
// Errors: tip_not_found, not_assigned_handler, invalid_state.
func (s *Service) Accept(ctx context.Context, p account.Principal, id, ip string) (*Tip, error) {
	return s.transition(ctx, p, id, ip, "tip.accept", []State{Assigned}, Handling, "", "")
}

// Close ends handling with a result the tipster sees. Only the assigned
// handler. Errors: tip_not_found, not_assigned_handler, unknown_result,
// invalid_state.
func (s *Service) Close(ctx context.Context, p account.Principal, id, ip string, result Result, note string) (*Tip, error) {
	note = strings.TrimSpace(note)
	if !ValidResult(result) {
		return nil, ErrUnknownResult
	}
	if utf8.RuneCountInString(note) > 2000 {
		return nil, apperr.New(apperr.Invalid, "invalid_note", "note: at most 2000 characters")
	}
	return s.transition(ctx, p, id, ip, "tip.close", []State{Assigned, Handling}, Closed, result, note)
}

// handled loads a tip p handles: tip_not_found when p may not see it,
// not_assigned_handler when p sees it but is not its assigned handler.
func (s *Service) handled(ctx context.Context, p account.Principal, id string) (*Tip, error) {
	t, err := s.officerTip(ctx, s.db, p, id)
	if err != nil {
		return nil, err
	}
	if !isAssigned(p, t) {
		return nil, ErrNotAssignedHandler
	}
	return t, nil
}

func (s *Service) transition(ctx context.Context, p account.Principal, id, ip, action string, from []State, to State, result Result, note string) (*Tip, error) {
	t, err := s.handled(ctx, p, id)
	if err != nil {
		return nil, err
	}
	ok := false
	for _, f := range from {
		ok = ok || t.State == f
	}
	if !ok {
		return nil, ErrState.With("state", t.State)
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		closed := int64(0)
		if to == Closed {
			closed = db.Micros(now)
		}
		res, err := tx.Exec(ctx, `UPDATE tips SET state = $3, result = $4, result_note = $5, closed_at = $6, updated_at = $7
			WHERE id = $1 AND state = $2 AND handler_id = $8`, id, string(t.State), string(to), string(result), note, closed, db.Micros(now), p.ID)
		if err != nil {
			return internal("update tip", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		detail := map[string]any{"state": string(to)}
		if result != "" {
			detail["result"] = string(result)
		}
		_, err = s.audit.AppendTx(ctx, tx, officerEntry(p, ip, action, id, "", detail))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.getTip(ctx, s.db, id)
}

// correspondent loads a tip p may write to, and says as whom: "tipster"
// (their own tip) or "police" (its assigned handler). Errors:
// not_assigned_handler for another officer who sees the tip, else
// tip_not_found.
func (s *Service) correspondent(ctx context.Context, p account.Principal, id string) (*Tip, string, error) {
	t, err := s.getTip(ctx, s.db, id)
	if err != nil {
		return nil, "", err
	}
	switch {
	case p.IsCitizen() && t.ownerRef == s.ownerRef(p):
		return t, "tipster", nil
	case p.IsOfficer() && isAssigned(p, t):
		return t, "police", nil
	case p.IsOfficer() && canView(p, t):
		return nil, "", ErrNotAssignedHandler
	}
	return nil, "", ErrTipNotFound
}

// PostMessage adds a line to the dialogue: from the tipster (their own
// tip) or the assigned handler. Errors: tip_not_found,
// not_assigned_handler, invalid_message, invalid_state (closed).
func (s *Service) PostMessage(ctx context.Context, p account.Principal, id, ip, text string) (Message, error) {
	t, from, err := s.correspondent(ctx, p, id)
	if err != nil {
		return Message{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > 2000 || !utf8.ValidString(text) {
		return Message{}, ErrMessage
	}
	m := Message{From: from, Text: text, At: s.clock()}
	officerID := ""
	if from == "police" {
		officerID = p.ID
	}
	if t.State == Closed {
		return Message{}, ErrState.With("state", t.State)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO tip_messages (tip_id, sender, officer_id, text, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			id, m.From, officerID, text, db.Micros(m.At)).Scan(&m.ID); err != nil {
			return internal("store message", err)
		}
		if officerID == "" {
			return nil
		}
		_, err := s.audit.AppendTx(ctx, tx, officerEntry(p, ip, "tip.message", id, "", map[string]any{"message": m.ID}))
		return err
	})
	return m, err
}

// Messages returns the dialogue after a message ID, for the tipster.
// Errors: tip_not_found.
func (s *Service) Messages(ctx context.Context, p account.Principal, id string, after int64) ([]Message, error) {
	t, err := s.getTip(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !(p.IsCitizen() && t.ownerRef == s.ownerRef(p)) {
		return nil, ErrTipNotFound
	}
	return s.messages(ctx, id, after)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
