// Package reward is 悬赏任务: police publish reward notices (title,
// description, pictures, amount, area, validity) that anyone sees, citizens
// answer with clues — anonymously if they wish — and get a 6-digit claim
// code; a handler marks a clue as rewarded and the claimant redeems it with
// the clue number and the code alone, no identity needed.
package reward

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"open110/platform/mediatype"
	"strings"
	"time"
	"unicode/utf8"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the reward schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "reward", FS: sub}
}

// Centers names centres.
type Centers interface {
	GetCenter(ctx context.Context, code string) (account.Center, error)
}

// Task is a reward notice.
type Task struct {
	ID          string    `json:"id"`
	Center      Unit      `json:"center"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	AmountYuan  int64     `json:"amount_yuan"`
	Area        string    `json:"area"`
	ValidFrom   time.Time `json:"valid_from"`
	ValidUntil  time.Time `json:"valid_until"`
	State       string    `json:"state"` // published | closed
	Active      bool      `json:"active"`
	Media       []Media   `json:"media"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by,omitempty"` // officers only
	Clues       *int      `json:"clues,omitempty"`      // officers only
}

// Unit is a centre.
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Media is a picture of a task.
type Media struct {
	SHA256 string `json:"sha256"`
	MIME   string `json:"mime"`
	Size   int64  `json:"size"`
}

// Clue is a citizen's answer to a task as the police see it.
type Clue struct {
	ID         string     `json:"id"`
	TaskID     string     `json:"task_id"`
	Text       string     `json:"text"`
	Contact    string     `json:"contact,omitempty"`
	Anonymous  bool       `json:"anonymous"`
	State      string     `json:"state"` // new | rewarded | redeemed
	RewardYuan int64      `json:"reward_yuan,omitempty"`
	RewardNote string     `json:"reward_note,omitempty"`
	RewardedAt *time.Time `json:"rewarded_at,omitempty"`
	RedeemedAt *time.Time `json:"redeemed_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Errors with stable codes.
var (
	ErrTaskNotFound  = apperr.New(apperr.NotFound, "reward_not_found", "no such reward task")
	ErrClueNotFound  = apperr.New(apperr.NotFound, "clue_not_found", "no such clue")
	ErrTitle         = apperr.New(apperr.Invalid, "invalid_title", "title: 2–100 characters")
	ErrDescription   = apperr.New(apperr.Invalid, "invalid_description", "description: 1–4000 characters")
	ErrAmount        = apperr.New(apperr.Invalid, "invalid_amount", "amount: 1–10,000,000 yuan")
	ErrArea          = apperr.New(apperr.Invalid, "invalid_area", "area: at most 200 characters")
	ErrValidity      = apperr.New(apperr.Invalid, "invalid_validity", "valid_until must be in the future, within two years, after valid_from")
	ErrClueText      = apperr.New(apperr.Invalid, "invalid_clue", "clue: 1–4000 characters; contact at most 200")
	ErrTaskClosed    = apperr.New(apperr.Conflict, "reward_closed", "the reward task is closed or expired")
	ErrClueState     = apperr.New(apperr.Conflict, "invalid_state", "the clue's state does not allow this")
	ErrClaimInvalid  = apperr.New(apperr.Forbidden, "claim_invalid", "clue number or claim code is wrong")
	ErrClaimLocked   = apperr.New(apperr.TooMany, "claim_locked", "too many wrong codes for this clue; contact the publishing police unit")
	ErrNotRewarded   = apperr.New(apperr.Conflict, "not_rewarded", "this clue has not been rewarded (yet)")
	ErrRedeemed      = apperr.New(apperr.Conflict, "already_redeemed", "this reward was already redeemed")
	ErrImage         = apperr.New(apperr.Unsupported, "unsupported_media", "pictures must be JPEG, PNG or WebP")
	ErrImageMismatch = apperr.New(apperr.Unsupported, "media_type_mismatch", "the declared Content-Type does not match the picture's content")
	ErrImageTooLarge = apperr.New(apperr.TooLarge, "media_too_large", "pictures are limited to 10 MiB")
	ErrTooManyMedia  = apperr.New(apperr.Invalid, "too_many_media", "at most 9 pictures per task")
)

// MaxClaimFailures wrong codes lock a clue's claim (a 6-digit code must
// not be guessable by trying).
const MaxClaimFailures = 5

// Service is the reward feature.
type Service struct {
	db      *db.DB
	audit   *audit.Log
	blob    blob.Store
	centers Centers
	secret  []byte
	now     func() time.Time
	log     *slog.Logger
}

// New returns the service; secret keys claim-code hashes and citizen refs.
func New(d *db.DB, a *audit.Log, b blob.Store, centers Centers, secret []byte, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d, audit: a, blob: b, centers: centers, secret: secret, now: now, log: log}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) citizenRef(p account.Principal) string {
	return s.mac("open110 reward citizen", p.ID)[:40]
}

func internal(what string, err error) error {
	return apperr.ErrInternal.Wrap(fmt.Errorf("reward: %s: %w", what, err))
}

// covers: an officer of centre o manages tasks of centre c when it is c or
// a centre above it.
func covers(o, c string) bool {
	for i := 0; i < 4 && c != ""; i++ {
		if o == c {
			return true
		}
		u, ok := geo.UnitByCode(c)
		if !ok {
			return false
		}
		c = u.Parent
	}
	return false
}

func canManage(p account.Principal, center string) bool {
	switch {
	case p.IsOfficer(account.Handler):
		return p.Center == center
	case p.IsOfficer(account.Supervisor):
		return covers(p.Center, center)
	}
	return false
}

// NewTask is a task to publish.
type NewTask struct {
	Title       string     `json:"title"`
	Description string     `json:"description"`
	AmountYuan  int64      `json:"amount_yuan"`
	Area        string     `json:"area"`
	ValidFrom   *time.Time `json:"valid_from"`
	ValidUntil  time.Time  `json:"valid_until"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// check trims in and validates it for publication at now, returning the
// validity window (valid_from defaults to now). Errors: invalid_title,
// invalid_description, invalid_amount, invalid_area, invalid_validity.
func (in *NewTask) check(now time.Time) (from, until time.Time, err error) {
	in.Title, in.Description, in.Area = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description), strings.TrimSpace(in.Area)
	from = now
	if in.ValidFrom != nil && !in.ValidFrom.IsZero() {
		from = in.ValidFrom.UTC().Truncate(time.Microsecond)
	}
	until = in.ValidUntil.UTC().Truncate(time.Microsecond)
	switch {
	case runes(in.Title) < 2 || runes(in.Title) > 100 || !utf8.ValidString(in.Title):
		return from, until, ErrTitle
	case in.Description == "" || runes(in.Description) > 4000 || !utf8.ValidString(in.Description):
		return from, until, ErrDescription
	case in.AmountYuan < 1 || in.AmountYuan > 10_000_000:
		return from, until, ErrAmount
	case runes(in.Area) > 200 || !utf8.ValidString(in.Area):
		return from, until, ErrArea
	case !until.After(now) || !until.After(from) || until.After(now.Add(2*366*24*time.Hour)) || from.Before(now.Add(-24*time.Hour)):
		return from, until, ErrValidity
	}
	return from, until, nil
}

// Publish creates a task for the officer's centre. Only handlers and
// supervisors. Errors: forbidden, invalid_title, invalid_description,
// invalid_amount, invalid_area, invalid_validity.
func (s *Service) Publish(ctx context.Context, p account.Principal, in NewTask, ip string) (*Task, error) {
	if !p.IsOfficer(account.Handler, account.Supervisor) {
		return nil, apperr.ErrForbidden.Msg("handling officers and supervisors publish reward tasks")
	}
	now := s.clock()
	from, until, err := in.check(now)
	if err != nil {
		return nil, err
	}
	t := &Task{ID: account.NewID("rw"), Center: Unit{Code: p.Center}, Title: in.Title, Description: in.Description, AmountYuan: in.AmountYuan,
		Area: in.Area, ValidFrom: from, ValidUntil: until, State: "published", CreatedAt: now, CreatedBy: p.Username, Media: []Media{}}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO reward_tasks (id, center_code, title, description, amount_yuan, area, valid_from, valid_until, state, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'published', $9, $10, $10)`,
			t.ID, t.Center.Code, t.Title, t.Description, t.AmountYuan, t.Area, db.Micros(from), db.Micros(until), p.Username, db.Micros(now))
		if err != nil {
			return internal("publish", err)
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: ip, Action: "reward.publish", Object: "reward:" + t.ID,
			Detail: map[string]any{"amount_yuan": t.AmountYuan, "title": t.Title}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, t.ID)
}

const taskCols = "id, center_code, title, description, amount_yuan, area, valid_from, valid_until, state, created_by, created_at"

func (s *Service) scanTasks(ctx context.Context, rows *sql.Rows) ([]*Task, error) {
	defer rows.Close()
	out := []*Task{}
	for rows.Next() {
		t := &Task{Media: []Media{}}
		var from, until, created int64
		if err := rows.Scan(&t.ID, &t.Center.Code, &t.Title, &t.Description, &t.AmountYuan, &t.Area, &from, &until, &t.State, &t.CreatedBy, &created); err != nil {
			return nil, internal("scan task", err)
		}
		t.ValidFrom, t.ValidUntil, t.CreatedAt = db.Time(from), db.Time(until), db.Time(created)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("tasks", err)
	}
	now := s.clock()
	names := map[string]string{}
	for _, t := range out {
		t.Active = t.State == "published" && !now.Before(t.ValidFrom) && now.Before(t.ValidUntil)
		n, ok := names[t.Center.Code]
		if !ok {
			if c, err := s.centers.GetCenter(ctx, t.Center.Code); err == nil {
				n = c.Name
			}
			names[t.Center.Code] = n
		}
		t.Center.Name = n
		mrows, err := s.db.Query(ctx, "SELECT sha256, mime, size FROM reward_task_media WHERE task_id = $1 ORDER BY added_at", t.ID)
		if err != nil {
			return nil, internal("task media", err)
		}
		for mrows.Next() {
			var m Media
			if err := mrows.Scan(&m.SHA256, &m.MIME, &m.Size); err != nil {
				mrows.Close()
				return nil, internal("task media", err)
			}
			t.Media = append(t.Media, m)
		}
		mrows.Close()
	}
	return out, nil
}

// List returns the active tasks (public), or with all=true for an officer
// every task of the centres they manage (center, default theirs).
func (s *Service) List(ctx context.Context, p account.Principal, center string, all bool) ([]*Task, error) {
	now := db.Micros(s.clock())
	var rows *sql.Rows
	var err error
	if all {
		if center == "" {
			center = p.Center
		}
		if !canManage(p, center) {
			return nil, apperr.ErrForbidden.Msg("that centre is not yours")
		}
		rows, err = s.db.Query(ctx, "SELECT "+taskCols+" FROM reward_tasks WHERE center_code = $1 ORDER BY created_at DESC LIMIT 500", center)
	} else if center != "" {
		rows, err = s.db.Query(ctx, "SELECT "+taskCols+" FROM reward_tasks WHERE state = 'published' AND valid_from <= $1 AND valid_until > $1 AND center_code = $2 ORDER BY created_at DESC LIMIT 500", now, center)
	} else {
		rows, err = s.db.Query(ctx, "SELECT "+taskCols+" FROM reward_tasks WHERE state = 'published' AND valid_from <= $1 AND valid_until > $1 ORDER BY created_at DESC LIMIT 500", now)
	}
	if err != nil {
		return nil, internal("list", err)
	}
	tasks, err := s.scanTasks(ctx, rows)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		s.decorate(ctx, p, t)
	}
	return tasks, nil
}

// decorate adds the officer-only fields for officers who manage the task
// and strips them for everyone else.
func (s *Service) decorate(ctx context.Context, p account.Principal, t *Task) {
	if !canManage(p, t.Center.Code) {
		t.CreatedBy, t.Clues = "", nil
		return
	}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM reward_clues WHERE task_id = $1", t.ID).Scan(&n); err == nil {
		t.Clues = &n
	}
}

// Get returns a task: anyone sees an active one; officers who manage it
// see it in any state. Errors: reward_not_found.
func (s *Service) Get(ctx context.Context, p account.Principal, id string) (*Task, error) {
	rows, err := s.db.Query(ctx, "SELECT "+taskCols+" FROM reward_tasks WHERE id = $1", id)
	if err != nil {
		return nil, internal("get", err)
	}
	tasks, err := s.scanTasks(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return nil, ErrTaskNotFound
	}
	t := tasks[0]
	if !t.Active && !canManage(p, t.Center.Code) {
		return nil, ErrTaskNotFound
	}
	s.decorate(ctx, p, t)
	return t, nil
}

// Close withdraws a task. Errors: reward_not_found, forbidden.
func (s *Service) Close(ctx context.Context, p account.Principal, id, ip string) (*Task, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !canManage(p, t.Center.Code) {
		return nil, apperr.ErrForbidden.Msg("only the publishing centre closes a task")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE reward_tasks SET state = 'closed', updated_at = $2 WHERE id = $1", id, db.Micros(s.clock())); err != nil {
			return internal("close", err)
		}
		_, err := s.audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: ip, Action: "reward.close", Object: "reward:" + id})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// MaxImage is the size limit of a task picture.
const MaxImage = 10 << 20

// AddMedia attaches a picture (JPEG, PNG, WebP; sniffed) to a task.
// Errors: reward_not_found, forbidden, unsupported_media,
// media_type_mismatch, media_too_large, too_many_media.
func (s *Service) AddMedia(ctx context.Context, p account.Principal, id, contentType string, body io.Reader) (Media, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return Media{}, err
	}
	if !canManage(p, t.Center.Code) {
		return Media{}, apperr.ErrForbidden.Msg("only the publishing centre edits a task")
	}
	if len(t.Media) >= 9 {
		return Media{}, ErrTooManyMedia
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxImage+1))
	if err != nil {
		return Media{}, ErrImageTooLarge.Wrap(err)
	}
	if len(b) > MaxImage {
		return Media{}, ErrImageTooLarge
	}
	mt := sniffImage(b)
	if mt == "" {
		return Media{}, ErrImage
	}
	if ct := strings.TrimSpace(strings.Split(contentType, ";")[0]); ct != "" && ct != "application/octet-stream" && ct != mt && !(ct == "image/jpg" && mt == "image/jpeg") {
		return Media{}, ErrImageMismatch.With("detected", mt)
	}
	obj, err := s.blob.Put(ctx, strings.NewReader(string(b)))
	if err != nil {
		return Media{}, internal("store picture", err)
	}
	m := Media{SHA256: obj.SHA256, MIME: mt, Size: obj.Size}
	_, err = s.db.Exec(ctx, "INSERT INTO reward_task_media (task_id, sha256, mime, size, added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
		id, m.SHA256, m.MIME, m.Size, db.Micros(s.clock()))
	if err != nil {
		return Media{}, internal("picture", err)
	}
	return m, nil
}

// sniffImage names a picture format from its magic bytes ("" for
// anything that is not a JPEG, PNG or WebP picture).
func sniffImage(b []byte) string {
	t, _ := mediatype.As(b, mediatype.Photo)
	return t.MIME
}

// OpenMedia streams a task picture (public for active tasks). Errors:
// reward_not_found, media_not_found.
func (s *Service) OpenMedia(ctx context.Context, p account.Principal, id, sha string) (io.ReadCloser, Media, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, Media{}, err
	}
	for _, m := range t.Media {
		if m.SHA256 == sha {
			rc, _, err := s.blob.Get(ctx, sha)
			if err != nil {
				return nil, Media{}, internal("open picture", err)
			}
			return rc, m, nil
		}
	}
	return nil, Media{}, apperr.New(apperr.NotFound, "media_not_found", "no such picture")
}

// NewClue is a citizen's answer.
type NewClue struct {
	Text      string `json:"text"`
	Contact   string `json:"contact"`   // optional, how the police may reach them
	Anonymous bool   `json:"anonymous"` // keep no link to the account
}

// check trims in and validates it. Errors: invalid_clue.
func (in *NewClue) check() error {
	in.Text, in.Contact = strings.TrimSpace(in.Text), strings.TrimSpace(in.Contact)
	if in.Text == "" || runes(in.Text) > 4000 || runes(in.Contact) > 200 || !utf8.ValidString(in.Text) || !utf8.ValidString(in.Contact) {
		return ErrClueText
	}
	return nil
}

// Submitted is the answer to a new clue: the clue number and the claim
// code, shown once and stored only as a keyed hash.
type Submitted struct {
	Clue      string    `json:"clue"`
	ClaimCode string    `json:"claim_code"`
	CreatedAt time.Time `json:"created_at"`
}

// SubmitClue stores a clue for an active task from a signed-in citizen.
// Errors: reward_not_found, reward_closed, invalid_clue.
func (s *Service) SubmitClue(ctx context.Context, p account.Principal, taskID string, in NewClue) (Submitted, error) {
	if err := in.check(); err != nil {
		return Submitted{}, err
	}
	var state string
	var from, until int64
	err := s.db.QueryRow(ctx, "SELECT state, valid_from, valid_until FROM reward_tasks WHERE id = $1", taskID).Scan(&state, &from, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return Submitted{}, ErrTaskNotFound
	}
	if err != nil {
		return Submitted{}, internal("task", err)
	}
	now := s.clock()
	if state != "published" || db.Micros(now) < from || db.Micros(now) >= until {
		return Submitted{}, ErrTaskClosed
	}
	code, err := sixDigits()
	if err != nil {
		return Submitted{}, internal("code", err)
	}
	out := Submitted{Clue: account.NewID("rc"), ClaimCode: code, CreatedAt: now}
	ref := ""
	if !in.Anonymous {
		ref = s.citizenRef(p)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO reward_clues (id, task_id, text, contact, citizen_ref, claim_hash, state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'new', $7)`, out.Clue, taskID, in.Text, in.Contact, ref, s.claimHash(out.Clue, code), db.Micros(now))
	if err != nil {
		return Submitted{}, internal("store clue", err)
	}
	return out, nil
}

func (s *Service) claimHash(clue, code string) string {
	return s.mac("open110 reward claim", clue, code)
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

const clueCols = "id, task_id, text, contact, citizen_ref, state, reward_yuan, reward_note, rewarded_at, redeemed_at, created_at"

func scanClues(rows *sql.Rows) ([]Clue, error) {
	defer rows.Close()
	out := []Clue{}
	for rows.Next() {
		var c Clue
		var ref string
		var rewarded, redeemed, created int64
		if err := rows.Scan(&c.ID, &c.TaskID, &c.Text, &c.Contact, &ref, &c.State, &c.RewardYuan, &c.RewardNote, &rewarded, &redeemed, &created); err != nil {
			return nil, internal("scan clue", err)
		}
		c.Anonymous = ref == ""
		c.CreatedAt = db.Time(created)
		if rewarded != 0 {
			v := db.Time(rewarded)
			c.RewardedAt = &v
		}
		if redeemed != 0 {
			v := db.Time(redeemed)
			c.RedeemedAt = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Clues lists a task's clues for officers who manage it (audited: clues may
// carry contact details). Errors: reward_not_found, forbidden.
func (s *Service) Clues(ctx context.Context, p account.Principal, taskID, ip string) ([]Clue, error) {
	t, err := s.Get(ctx, p, taskID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, t.Center.Code) {
		return nil, apperr.ErrForbidden.Msg("only the publishing centre reads the clues")
	}
	if _, err := s.audit.Append(ctx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: ip, Action: "reward.clues.view", Object: "reward:" + taskID}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+clueCols+" FROM reward_clues WHERE task_id = $1 ORDER BY created_at", taskID)
	if err != nil {
		return nil, internal("clues", err)
	}
	return scanClues(rows)
}

// MyClues lists the clues a citizen sent without anonymity.
func (s *Service) MyClues(ctx context.Context, p account.Principal) ([]Clue, error) {
	rows, err := s.db.Query(ctx, "SELECT "+clueCols+" FROM reward_clues WHERE citizen_ref = $1 ORDER BY created_at DESC LIMIT 200", s.citizenRef(p))
	if err != nil {
		return nil, internal("my clues", err)
	}
	cs, err := scanClues(rows)
	for i := range cs {
		cs[i].Contact = ""
	}
	return cs, err
}

// rewardable loads the task of a clue p may reward: reward_not_found or
// clue_not_found when there is no such task or clue on it, forbidden when
// p is not of the publishing centre (or over it).
func (s *Service) rewardable(ctx context.Context, p account.Principal, taskID, clueID string) (*Task, error) {
	t, err := s.Get(ctx, p, taskID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, t.Center.Code) {
		return nil, apperr.ErrForbidden.Msg("only the publishing centre rewards clues")
	}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM reward_clues WHERE id = $1 AND task_id = $2", clueID, taskID).Scan(&n); err != nil {
		return nil, internal("clue", err)
	}
	if n == 0 {
		return nil, ErrClueNotFound
	}
	return t, nil
}

// MarkRewarded marks a clue as earning a reward (amount default the
// task's). Errors: reward_not_found, clue_not_found, forbidden,
// invalid_amount, invalid_state.
func (s *Service) MarkRewarded(ctx context.Context, p account.Principal, taskID, clueID string, amount int64, note, ip string) (Clue, error) {
	t, err := s.rewardable(ctx, p, taskID, clueID)
	if err != nil {
		return Clue{}, err
	}
	if amount == 0 {
		amount = t.AmountYuan
	}
	if amount < 1 || amount > 10_000_000 {
		return Clue{}, ErrAmount
	}
	note = strings.TrimSpace(note)
	if runes(note) > 1000 {
		return Clue{}, apperr.New(apperr.Invalid, "invalid_note", "note: at most 1000 characters")
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE reward_clues SET state = 'rewarded', reward_yuan = $3, reward_note = $4, rewarded_by = $5, rewarded_at = $6
			WHERE id = $1 AND task_id = $2 AND state = 'new'`, clueID, taskID, amount, note, p.Username, db.Micros(now))
		if err != nil {
			return internal("reward", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var st string
			if err := tx.QueryRow(ctx, "SELECT state FROM reward_clues WHERE id = $1 AND task_id = $2", clueID, taskID).Scan(&st); errors.Is(err, sql.ErrNoRows) {
				return ErrClueNotFound
			}
			return ErrClueState
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: ip, Action: "reward.clue.reward",
			Object: "reward-clue:" + clueID, Detail: map[string]any{"task": taskID, "amount_yuan": amount}})
		return err
	})
	if err != nil {
		return Clue{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+clueCols+" FROM reward_clues WHERE id = $1", clueID)
	if err != nil {
		return Clue{}, internal("clue", err)
	}
	cs, err := scanClues(rows)
	if err != nil || len(cs) == 0 {
		return Clue{}, ErrClueNotFound
	}
	return cs[0], nil
}

// Claim is what a claimant learns with the clue number and the code.
type Claim struct {
	Clue       string     `json:"clue"`
	Task       string     `json:"task"`
	TaskTitle  string     `json:"task_title"`
	Center     Unit       `json:"center"`
	State      string     `json:"state"` // new | rewarded | redeemed
	RewardYuan int64      `json:"reward_yuan,omitempty"`
	Receipt    string     `json:"receipt,omitempty"`
	RedeemedAt *time.Time `json:"redeemed_at,omitempty"`
}

// CheckClaim returns a clue's claim state for its number and code; with
// redeem, a rewarded clue is redeemed once and gets a receipt number the
// paying unit honours. No identity is asked or recorded. Errors:
// claim_invalid (counts towards the lock), claim_locked, not_rewarded,
// already_redeemed.
func (s *Service) CheckClaim(ctx context.Context, clueID, code string, redeem bool) (Claim, error) {
	var c Claim
	var hash string
	var failures int
	var redeemed int64
	err := s.db.QueryRow(ctx, `SELECT c.id, c.task_id, t.title, t.center_code, c.state, c.reward_yuan, c.receipt, c.redeemed_at, c.claim_hash, c.claim_failures
		FROM reward_clues c JOIN reward_tasks t ON t.id = c.task_id WHERE c.id = $1`, clueID).
		Scan(&c.Clue, &c.Task, &c.TaskTitle, &c.Center.Code, &c.State, &c.RewardYuan, &c.Receipt, &redeemed, &hash, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return Claim{}, ErrClaimInvalid
	}
	if err != nil {
		return Claim{}, internal("claim", err)
	}
	if failures >= MaxClaimFailures {
		return Claim{}, ErrClaimLocked
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(s.claimHash(clueID, code))) != 1 {
		if _, err := s.db.Exec(ctx, "UPDATE reward_clues SET claim_failures = claim_failures + 1 WHERE id = $1", clueID); err != nil {
			return Claim{}, internal("claim", err)
		}
		return Claim{}, ErrClaimInvalid
	}
	if cc, err := s.centers.GetCenter(ctx, c.Center.Code); err == nil {
		c.Center.Name = cc.Name
	}
	if redeemed != 0 {
		v := db.Time(redeemed)
		c.RedeemedAt = &v
	}
	if c.State == "new" {
		c.RewardYuan = 0
	}
	if !redeem {
		if c.State != "redeemed" {
			c.Receipt = ""
		}
		return c, nil
	}
	switch c.State {
	case "new":
		return c, ErrNotRewarded
	case "redeemed":
		return c, ErrRedeemed
	}
	receipt, err := sixDigits()
	if err != nil {
		return Claim{}, internal("receipt", err)
	}
	receipt = "R" + strings.ReplaceAll(s.clock().Format("20060102"), "-", "") + receipt
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE reward_clues SET state = 'redeemed', redeemed_at = $2, receipt = $3 WHERE id = $1 AND state = 'rewarded'", clueID, db.Micros(now), receipt)
		if err != nil {
			return internal("redeem", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrRedeemed
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: "claimant", Action: "reward.claim.redeem", Object: "reward-clue:" + clueID,
			Detail: map[string]any{"task": c.Task, "amount_yuan": c.RewardYuan, "receipt": receipt}})
		return err
	})
	if err != nil {
		return Claim{}, err
	}
	c.State, c.Receipt, c.RedeemedAt = "redeemed", receipt, &now
	return c, nil
}
