package tip

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

type fixture struct {
	svc   *Service
	db    *db.DB
	now   time.Time
	alice account.Principal
	bob   account.Principal
	keys  string
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: d, now: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	log := audit.New(d, clock)
	dir := t.TempDir()
	acc := account.New(d, log, sms.NewOutbox(filepath.Join(dir, "sms.jsonl"), clock), []byte("0123456789abcdef"), account.Config{}, clock, nil)
	var units []account.UnitRow
	for _, u := range geo.Units() {
		units = append(units, account.UnitRow{Code: u.Code, Name: u.Name, Level: string(u.Level), Parent: u.Parent})
	}
	if err := acc.SeedCenters(ctx, units, true); err != nil {
		t.Fatal(err)
	}
	router, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := blob.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.keys = filepath.Join(dir, "identity.keys")
	keys, err := LoadKeyFile(f.keys, f.now)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = New(d, log, store, keys, router, acc, []byte("server-secret-for-tests"), Config{MaxPhoto: 1 << 10, TempDir: dir}, clock, nil)
	f.alice = account.Principal{Kind: account.Citizen, ID: "c_alice", Phone: "+8613800000001"}
	f.bob = account.Principal{Kind: account.Citizen, ID: "c_bob", Phone: "+8613800000002"}
	return f
}

func migrationsAll() []db.Migrations {
	return []db.Migrations{audit.Migrations(), account.Migrations(), Migrations()}
}

var here = Position{Lat: 38.0428, Lng: 114.5149, AccuracyM: 10}

func photo(seed string) []byte {
	return append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, seed...)
}

func (f *fixture) upload(t *testing.T, p account.Principal, tok string, body []byte, mut func(*Upload)) (Media, error) {
	t.Helper()
	up := Upload{Token: tok, CapturedAt: f.now, Position: here, ClientSHA256: sha256Hex(body), ContentType: "image/jpeg",
		ContentLength: int64(len(body)), Body: bytes.NewReader(body)}
	if mut != nil {
		mut(&up)
	}
	return f.svc.UploadCapture(context.Background(), p, up)
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCaptureRefusals: every way a capture can be forged or stale is
// refused with its stable code, and nothing is stored.
func TestCaptureRefusals(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tok := func() string {
			ct, err := f.svc.IssueToken(ctx, f.alice)
			if err != nil {
				t.Fatal(err)
			}
			return ct.Token
		}
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		for _, tc := range []struct {
			name string
			p    account.Principal
			tok  string
			body []byte
			mut  func(*Upload)
			code string
		}{
			{"no token", f.alice, "", photo("x"), nil, "capture_token_required"},
			{"unknown token", f.alice, "ct_forged", photo("x"), nil, "capture_token_invalid"},
			{"foreign token", f.bob, tok(), photo("x"), nil, "capture_token_invalid"},
			{"capture before token", f.alice, tok(), photo("x"), func(u *Upload) { u.CapturedAt = f.now.Add(-time.Hour) }, "capture_time_outside_window"},
			{"capture in the future", f.alice, tok(), photo("x"), func(u *Upload) { u.CapturedAt = f.now.Add(time.Hour) }, "capture_time_outside_window"},
			{"no capture time", f.alice, tok(), photo("x"), func(u *Upload) { u.CapturedAt = time.Time{} }, "capture_time_outside_window"},
			{"abroad", f.alice, tok(), photo("x"), func(u *Upload) { u.Position = Position{Lat: 48.85, Lng: 2.35} }, "capture_position_implausible"},
			{"null island", f.alice, tok(), photo("x"), func(u *Upload) { u.Position = Position{} }, "capture_position_implausible"},
			{"no hash", f.alice, tok(), photo("x"), func(u *Upload) { u.ClientSHA256 = "" }, "hash_required"},
			{"hash mismatch", f.alice, tok(), photo("x"), func(u *Upload) { u.ClientSHA256 = sha256Hex([]byte("other")) }, "hash_mismatch"},
			{"lying type", f.alice, tok(), png, func(u *Upload) { u.ContentType = "image/jpeg" }, "media_type_mismatch"},
			{"photo claimed as video", f.alice, tok(), photo("x"), func(u *Upload) { u.ContentType = "video/webm" }, "media_type_mismatch"},
			{"not media", f.alice, tok(), []byte("<html>not a photo</html>"), func(u *Upload) { u.ContentType = "image/jpeg" }, "unsupported_media"},
			{"text as octets", f.alice, tok(), []byte("#!/bin/sh\nrm -rf /"), func(u *Upload) { u.ContentType = "application/octet-stream" }, "unsupported_media"},
			{"oversized photo", f.alice, tok(), photo(strings.Repeat("x", 2<<10)), nil, "media_too_large"},
			{"empty", f.alice, tok(), nil, nil, "media_empty"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.upload(t, tc.p, tc.tok, tc.body, tc.mut)
				if got := apperr.CodeOf(err); got != tc.code {
					t.Fatalf("code %q (%v), want %q", got, err, tc.code)
				}
			})
		}
		if n := f.count(t, "tip_media"); n != 0 {
			t.Fatalf("%d media stored after refusals", n)
		}
		if n := f.count(t, "audit_log"); n != 0 {
			t.Fatalf("%d audit entries after refusals", n)
		}

		// A refused upload leaves its token usable; a good one uses it up.
		good := tok()
		if _, err := f.upload(t, f.alice, good, photo("y"), func(u *Upload) { u.ClientSHA256 = sha256Hex([]byte("z")) }); apperr.CodeOf(err) != "hash_mismatch" {
			t.Fatal(err)
		}
		m, err := f.upload(t, f.alice, good, photo("y"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != Photo || m.AuditSeq != 1 || m.AttestationHash != sha256Hex([]byte(m.attestation)) {
			t.Fatalf("media %+v", m)
		}
		if _, err := f.upload(t, f.alice, good, photo("y2"), nil); apperr.CodeOf(err) != "capture_token_used" {
			t.Fatalf("reused token: %v", err)
		}

		// Expiry: the capture must fall inside the window; the upload may
		// arrive up to the grace after expiry, not later.
		late := tok()
		f.now = f.now.Add(10*time.Minute + 6*time.Minute)
		if _, err := f.upload(t, f.alice, late, photo("z"), func(u *Upload) { u.CapturedAt = f.now.Add(-6 * time.Minute) }); apperr.CodeOf(err) != "capture_token_expired" {
			t.Fatalf("expired: %v", err)
		}
		f.now = f.now.Add(-6 * time.Minute)
		if _, err := f.upload(t, f.alice, late, photo("z"), func(u *Upload) { u.CapturedAt = f.now.Add(-time.Minute) }); err != nil {
			t.Fatalf("in grace: %v", err)
		}

		// Submitting: unknown category, media of someone else, far media.
		for _, tc := range []struct {
			in   NewTip
			p    account.Principal
			code string
		}{
			{NewTip{Category: "murder", Description: "x", Position: here}, f.alice, "unknown_category"},
			{NewTip{Category: "guns", Description: "  ", Position: here}, f.alice, "invalid_description"},
			{NewTip{Category: "guns", Description: "x", Position: Position{Lat: 91, Lng: 0}}, f.alice, "invalid_position"},
			{NewTip{Category: "guns", Description: "x", Position: Position{Lat: 31.23, Lng: 121.47}}, f.alice, "outside_jurisdiction"},
			{NewTip{Category: "guns", Description: "x", Position: here, Center: "999999"}, f.alice, "unknown_center"},
			{NewTip{Category: "guns", Description: "x", Position: here, Media: []string{m.ID}}, f.bob, "media_unavailable"},
			{NewTip{Category: "guns", Description: "x", Position: Position{Lat: 38.87, Lng: 115.46}, Media: []string{m.ID}}, f.alice, "media_far_from_tip"},
		} {
			if _, err := f.svc.Submit(ctx, tc.p, tc.in); apperr.CodeOf(err) != tc.code {
				t.Errorf("%+v: %v, want %s", tc.in, err, tc.code)
			}
		}
		if n := f.count(t, "tips"); n != 0 {
			t.Fatalf("%d tips stored after refusals", n)
		}
		tp, err := f.svc.Submit(ctx, f.alice, NewTip{Category: "guns", Description: "有人私藏枪支", Position: here, Media: []string{m.ID}, Name: "爱丽丝"})
		if err != nil {
			t.Fatal(err)
		}
		if tp.Identity != "sealed" || len(tp.Media) != 1 {
			t.Fatalf("tip %+v", tp)
		}
		// Stored identity is ciphertext, not the phone or name.
		var ct string
		if err := d.QueryRow(ctx, "SELECT identity_ct || identity_dek || owner_ref FROM tips WHERE id = $1", tp.ID).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ct, "13800000001") || strings.Contains(ct, "c_alice") {
			t.Fatal("identity stored in the clear")
		}
		// The same text again is flagged, not refused; so is volume.
		for i := 0; i < 5; i++ {
			tp, err = f.svc.Submit(ctx, f.alice, NewTip{Category: "guns", Description: "有人私藏枪支", Position: here, Anonymous: true})
			if err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Contains(tp.Flags, "duplicate") || !slices.Contains(tp.Flags, "rate") {
			t.Fatalf("flags %v", tp.Flags)
		}
	})
}

// TestKeyRotation: identities sealed under an old key open after a new key
// is added, and re-wrapping moves them to the new key.
func TestKeyRotation(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tp, err := f.svc.Submit(ctx, f.alice, NewTip{Category: "other", Description: "x", Position: here, Name: "A"})
		if err != nil {
			t.Fatal(err)
		}
		old := f.svc.keys.NewestID()
		if err := AddKey(f.keys, f.now.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		keys, err := LoadKeyFile(f.keys, f.now)
		if err != nil || len(keys.IDs()) != 2 || keys.NewestID() == old {
			t.Fatalf("keys %v %v", keys.IDs(), err)
		}
		f.svc.keys = keys
		n, err := f.svc.RewrapIdentities(ctx)
		if err != nil || n != 1 {
			t.Fatalf("rewrap %d %v", n, err)
		}
		got, err := f.svc.getTip(ctx, d, tp.ID)
		if err != nil || got.sealed.KeyID != keys.NewestID() {
			t.Fatalf("after rewrap: %v %v", got.sealed.KeyID, err)
		}
		// The old key is no longer needed.
		newest := keys.IDs()[1]
		only, _ := ParseKeys(newest + ":" + strings.Repeat("00", 32))
		if _, err := only.Open(got.sealed, "tip:"+tp.ID); err == nil {
			t.Fatal("opened with a wrong key")
		}
		plain, err := keys.Open(got.sealed, "tip:"+tp.ID)
		if err != nil || !strings.Contains(string(plain), "+8613800000001") {
			t.Fatalf("open: %s %v", plain, err)
		}
		// A sealed identity copied to another tip does not open there.
		if _, err := keys.Open(got.sealed, "tip:other"); err == nil {
			t.Fatal("identity opened for another tip")
		}
	})
}

func TestParseKeysRefusals(t *testing.T) {
	for _, spec := range []string{"", "k1", "k1:abcd", "k 1:" + strings.Repeat("00", 32), "k1:" + strings.Repeat("zz", 32),
		"k1:" + strings.Repeat("00", 32) + ",k1:" + strings.Repeat("11", 32)} {
		if _, err := ParseKeys(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
	k, err := ParseKeys("# keys\nold " + strings.Repeat("00", 32) + "\nnew " + strings.Repeat("11", 32) + "\n")
	if err != nil || k.NewestID() != "new" {
		t.Fatal(k, err)
	}
}

// exportFixture makes a tip with two captures and returns its export.
func exportFixture(t *testing.T, f *fixture) []byte {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, seed := range []string{"one", "two"} {
		ct, err := f.svc.IssueToken(ctx, f.alice)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.upload(t, f.alice, ct.Token, photo(seed), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	tp, err := f.svc.Submit(ctx, f.alice, NewTip{Category: "drugs", Description: "证据照片两张", Position: here, Media: ids})
	if err != nil {
		t.Fatal(err)
	}
	handler := account.Principal{Kind: account.Officer, ID: "o_h", Username: "h" + tp.Center.Code, Role: account.Handler, Center: tp.Center.Code, SignInIP: "10.0.0.1"}
	var buf bytes.Buffer
	if err := f.svc.Export(ctx, handler, tp.ID, "10.0.0.2", &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rewrite returns the export with fn applied to manifest and files.
func rewrite(t *testing.T, b []byte, fn func(m *Manifest, files map[string][]byte)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var order []string
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
		order = append(order, zf.Name)
	}
	var m Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	fn(&m, files)
	files["manifest.json"], _ = json.Marshal(m)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, name := range order {
		if data, ok := files[name]; ok {
			w, _ := zw.Create(name)
			w.Write(data)
		}
	}
	zw.Close()
	return out.Bytes()
}

// TestEvidenceVerify: a fresh export verifies; any tampering with media,
// attestations, the tip or the audit proof fails, naming the problem.
func TestEvidenceVerify(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		exp := exportFixture(t, f)
		var out bytes.Buffer
		if err := VerifyExportBytes(ctx, exp, &out); err != nil {
			t.Fatalf("fresh export: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "OK: 2 media") {
			t.Fatal(out.String())
		}
		for _, tc := range []struct {
			name, want string
			fn         func(m *Manifest, files map[string][]byte)
		}{
			{"media byte flipped", "content does not match its SHA-256", func(m *Manifest, files map[string][]byte) {
				files[m.Media[0].File][12] ^= 1
			}},
			{"media swapped and rehashed", "attestation describes other media", func(m *Manifest, files map[string][]byte) {
				fake := photo("forged")
				files[m.Media[0].File] = fake
				m.Media[0].SHA256, m.Media[0].Size = sha256Hex(fake), int64(len(fake))
			}},
			{"media missing", "missing from the export", func(m *Manifest, files map[string][]byte) {
				delete(files, m.Media[1].File)
			}},
			{"attestation time edited", "attestation record does not match its hash", func(m *Manifest, files map[string][]byte) {
				m.Media[0].Attestation = strings.Replace(m.Media[0].Attestation, "2025-03-01", "2025-02-28", 1)
			}},
			{"attestation edited and rehashed", "does not attest this capture", func(m *Manifest, files map[string][]byte) {
				m.Media[0].Attestation = strings.Replace(m.Media[0].Attestation, `"lat":38.0428`, `"lat":38.5`, 1)
				m.Media[0].AttestationHash = sha256Hex([]byte(m.Media[0].Attestation))
			}},
			{"audit entry edited to match", "content does not match its hash", func(m *Manifest, files map[string][]byte) {
				m.Media[0].Attestation = strings.Replace(m.Media[0].Attestation, `"lat":38.0428`, `"lat":38.5`, 1)
				m.Media[0].AttestationHash = sha256Hex([]byte(m.Media[0].Attestation))
				for i, e := range m.Audit.Entries {
					if e.Seq == m.Media[0].AuditSeq {
						var det map[string]any
						json.Unmarshal([]byte(e.Detail), &det)
						det["attestation_hash"] = m.Media[0].AttestationHash
						b, _ := json.Marshal(det)
						m.Audit.Entries[i].Detail = string(b)
					}
				}
			}},
			{"audit entry rehashed", "not the entry the chain holds", func(m *Manifest, files map[string][]byte) {
				e := &m.Audit.Entries[0]
				e.Reason = "edited"
				e.Hash = entryHash(*e)
			}},
			{"chain link removed", "entries missing or reordered", func(m *Manifest, files map[string][]byte) {
				m.Audit.Links = append(m.Audit.Links[:1], m.Audit.Links[2:]...)
			}},
			{"description edited", "tip description differs", func(m *Manifest, files map[string][]byte) {
				m.Tip.Description += "（补充）"
			}},
			{"media dropped from the tip", "not the media submitted", func(m *Manifest, files map[string][]byte) {
				m.Media = m.Media[:1]
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var out bytes.Buffer
				err := VerifyExportBytes(ctx, rewrite(t, exp, tc.fn), &out)
				if err == nil || !strings.Contains(out.String(), tc.want) {
					t.Fatalf("err %v, report:\n%s\nwant %q", err, out.String(), tc.want)
				}
			})
		}
	})
}

// TestRoutesDocumented: every route Register adds is in OpenAPI.
func TestRoutesDocumented(t *testing.T) {
	rec := recorder{}
	NewHandler(nil, nil).Register(rec)
	doc := OpenAPI()
	for pattern := range rec {
		method, path, _ := strings.Cut(pattern, " ")
		item, ok := doc[path].(map[string]any)
		if !ok || item[strings.ToLower(method)] == nil {
			t.Errorf("%s not in the OpenAPI paths", pattern)
		}
	}
}

type recorder map[string]bool

func (r recorder) HandleFunc(p string, _ func(http.ResponseWriter, *http.Request)) { r[p] = true }
