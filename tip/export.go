package tip

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
)

// ExportFormat names the export layout; VerifyExport refuses others.
const ExportFormat = "open110-tip-export/1"

// Manifest is manifest.json of an export: the tip (never the identity),
// each capture with its exact attestation record, and the audit proof —
// the full entries that concern the tip (submission, capture attestations)
// plus the chain links (seq, prev_hash, hash) from the first of them to
// the head of the log at export time. Media files sit beside it as
// media/<sha256>.<ext>.
type Manifest struct {
	Format     string        `json:"format"`
	ExportedAt string        `json:"exported_at"`
	ExportedBy string        `json:"exported_by"`
	Tip        ExportTip     `json:"tip"`
	Media      []ExportMedia `json:"media"`
	Audit      AuditProof    `json:"audit"`
}

// ExportTip is the tip as exported.
type ExportTip struct {
	ID          string   `json:"id"`
	Category    Category `json:"category"`
	Description string   `json:"description"`
	Position    Position `json:"position"`
	Center      Unit     `json:"center"`
	RoutedTo    string   `json:"routed_center"`
	Identity    string   `json:"identity"`
	State       State    `json:"state"`
	Result      Result   `json:"result,omitempty"`
	CreatedAt   string   `json:"created_at"`
}

// ExportMedia is one capture as exported.
type ExportMedia struct {
	ID              string `json:"id"`
	File            string `json:"file"`
	SHA256          string `json:"sha256"`
	Size            int64  `json:"size"`
	MIME            string `json:"mime"`
	Attestation     string `json:"attestation"` // the exact JSON text whose SHA-256 is AttestationHash
	AttestationHash string `json:"attestation_hash"`
	AuditSeq        int64  `json:"audit_seq"`
}

// AuditProof is the part of the audit chain an export carries.
type AuditProof struct {
	Entries []ProofEntry `json:"entries"`
	Links   []Link       `json:"links"`
	Head    Link         `json:"head"`
}

// ProofEntry is a full audit entry: every hashed field, Detail as the
// canonical JSON text that was hashed.
type ProofEntry struct {
	Seq       int64  `json:"seq"`
	AtMicros  int64  `json:"at_us"`
	At        string `json:"at"`
	Actor     string `json:"actor"`
	ActorIP   string `json:"actor_ip"`
	RequestIP string `json:"request_ip"`
	Action    string `json:"action"`
	Object    string `json:"object"`
	Subject   string `json:"subject"`
	Reason    string `json:"reason"`
	Detail    string `json:"detail"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

// Link is one chain link without content.
type Link struct {
	Seq      int64  `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Export writes a tip's evidence package (a zip) to w for an officer who
// may see the tip; the export itself is audited (tip.export) before the
// proof is taken, so the proof's head covers it. Errors: tip_not_found.
func (s *Service) Export(ctx context.Context, p account.Principal, id, ip string, w io.Writer) error {
	t, err := s.officerTip(ctx, s.db, p, id)
	if err != nil {
		return err
	}
	if !canView(p, t) {
		return ErrTipNotFound
	}
	if _, err := s.audit.Append(ctx, officerEntry(p, ip, "tip.export", id, "", nil)); err != nil {
		return err
	}
	m := Manifest{
		Format: ExportFormat, ExportedAt: s.clock().Format(rfc3339), ExportedBy: p.Actor(),
		Tip: ExportTip{ID: t.ID, Category: t.Category, Description: t.Description, Position: t.Position, Center: t.Center,
			RoutedTo: t.RoutedTo, Identity: t.Identity, State: t.State, Result: t.Result, CreatedAt: t.CreatedAt.Format(rfc3339)},
		Media: []ExportMedia{},
	}
	want := map[int64]bool{}
	submit, err := s.audit.List(ctx, audit.Filter{Object: "tip:" + id, Action: "tip.submit", Limit: 1})
	if err != nil {
		return err
	}
	if len(submit) == 0 {
		return internal("export", fmt.Errorf("tip %s has no submission entry", id))
	}
	want[submit[0].Seq] = true
	first := submit[0].Seq
	for _, md := range t.Media {
		ext := "bin"
		for _, k := range extByMIME {
			if k[0] == md.MIME {
				ext = k[1]
			}
		}
		m.Media = append(m.Media, ExportMedia{ID: md.ID, File: "media/" + md.SHA256 + "." + ext, SHA256: md.SHA256, Size: md.Size,
			MIME: md.MIME, Attestation: md.attestation, AttestationHash: md.AttestationHash, AuditSeq: md.AuditSeq})
		want[md.AuditSeq] = true
		first = min(first, md.AuditSeq)
	}
	// Walk the chain from the first entry of interest to the head.
	after := first - 1
	for {
		es, err := s.audit.List(ctx, audit.Filter{AfterSeq: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range es {
			m.Audit.Links = append(m.Audit.Links, Link{Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash})
			if want[e.Seq] {
				detail := "{}"
				if len(e.Detail) > 0 {
					b, err := json.Marshal(e.Detail)
					if err != nil {
						return internal("export", err)
					}
					detail = string(b)
				}
				m.Audit.Entries = append(m.Audit.Entries, ProofEntry{Seq: e.Seq, AtMicros: db.Micros(e.At), At: e.At.Format(rfc3339),
					Actor: e.Actor, ActorIP: e.ActorIP, RequestIP: e.RequestIP, Action: e.Action, Object: e.Object, Subject: e.Subject,
					Reason: e.Reason, Detail: detail, PrevHash: e.PrevHash, Hash: e.Hash})
			}
			after = e.Seq
		}
		if len(es) < 1000 {
			break
		}
	}
	if n := len(m.Audit.Links); n > 0 {
		m.Audit.Head = m.Audit.Links[n-1]
	}

	zw := zip.NewWriter(w)
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return internal("export", err)
	}
	mod := s.clock()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: mod})
	if err != nil {
		return err
	}
	if _, err := fw.Write(man); err != nil {
		return err
	}
	for _, md := range m.Media {
		rc, _, err := s.blob.Get(ctx, md.SHA256)
		if err != nil {
			return apperr.ErrInternal.Wrap(fmt.Errorf("tip: export media %s: %w", md.ID, err))
		}
		// Media is already compressed: store it as it is.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: md.File, Method: zip.Store, Modified: mod})
		if err == nil {
			_, err = io.Copy(fw, rc)
		}
		rc.Close()
		if err != nil {
			return fmt.Errorf("tip: export media %s: %w", md.ID, err)
		}
	}
	return zw.Close()
}

var extByMIME = [][2]string{
	{"image/jpeg", "jpg"}, {"image/png", "png"}, {"image/webp", "webp"}, {"video/webm", "webm"}, {"audio/webm", "webm"},
	{"video/x-matroska", "mkv"}, {"audio/x-matroska", "mka"}, {"video/mp4", "mp4"}, {"audio/mp4", "m4a"},
	{"video/quicktime", "mov"}, {"audio/ogg", "ogg"}, {"video/ogg", "ogv"}, {"audio/wav", "wav"}, {"audio/mpeg", "mp3"},
}

// entryHash recomputes an audit entry's hash exactly as the audit log does
// (SHA-256 over the previous hash and every field, each length-prefixed),
// so exports verify offline without the database.
func entryHash(e ProofEntry) string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.AtMicros, 10),
		e.Actor, e.ActorIP, e.RequestIP, e.Action, e.Object, e.Subject, e.Reason, e.Detail,
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}
