package tip

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// maxManifest bounds manifest.json (the audit links dominate: ~150 bytes
// per entry of the log after the tip).
const maxManifest = 256 << 20

// VerifyExport checks an exported tip at path offline, without the
// database: every media file against its SHA-256, size and sniffed type;
// every attestation record against its hash and its media; the capture
// window; the submission entry against the tip and its media; every full
// audit entry's hash; and the chain links from the first entry to the head.
// It writes a report to out and returns an error naming the first problem.
// The head hash it prints can be compared with `open110 audit verify` on
// the live system (or a published anchor) to tie the export to the log.
func VerifyExport(ctx context.Context, path string, out io.Writer) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer zr.Close()
	return verifyZip(ctx, &zr.Reader, out)
}

// VerifyExportBytes is VerifyExport for an export held in memory.
func VerifyExportBytes(ctx context.Context, b []byte, out io.Writer) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	return verifyZip(ctx, zr, out)
}

func verifyZip(ctx context.Context, zr *zip.Reader, out io.Writer) error {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return errors.New("export has no manifest.json")
	}
	raw, err := readZipFile(mf, maxManifest)
	if err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != ExportFormat {
		return fmt.Errorf("manifest.json: format %q, want %q", m.Format, ExportFormat)
	}
	fmt.Fprintf(out, "tip %s (%s), exported %s by %s\n", m.Tip.ID, m.Tip.Category, m.ExportedAt, m.ExportedBy)

	var problems []string
	bad := func(format string, args ...any) {
		p := fmt.Sprintf(format, args...)
		problems = append(problems, p)
		fmt.Fprintln(out, "  FAIL", p)
	}
	okf := func(format string, args ...any) { fmt.Fprintln(out, "  ok  ", fmt.Sprintf(format, args...)) }

	// 1. The chain: contiguous links, each pointing at its predecessor.
	links := m.Audit.Links
	linkBySeq := map[int64]Link{}
	chainOK := len(links) > 0
	if !chainOK {
		bad("audit proof has no chain links")
	}
	for i, l := range links {
		linkBySeq[l.Seq] = l
		if i == 0 {
			continue
		}
		if l.Seq != links[i-1].Seq+1 {
			bad("audit chain: entry %d follows %d (entries missing or reordered)", l.Seq, links[i-1].Seq)
			chainOK = false
			break
		}
		if l.PrevHash != links[i-1].Hash {
			bad("audit chain: entry %d does not link to entry %d (the chain was altered)", l.Seq, links[i-1].Seq)
			chainOK = false
			break
		}
	}
	if len(links) > 0 && m.Audit.Head != links[len(links)-1] {
		bad("audit chain: the head does not match the last link")
		chainOK = false
	}
	if chainOK {
		okf("audit chain links %d..%d intact, head %s", links[0].Seq, links[len(links)-1].Seq, m.Audit.Head.Hash)
	}

	// 2. Full entries: recompute each hash and find it in the chain.
	entries := map[int64]ProofEntry{}
	for _, e := range m.Audit.Entries {
		entries[e.Seq] = e
		if got := entryHash(e); got != e.Hash {
			bad("audit entry %d (%s): content does not match its hash (the entry was edited)", e.Seq, e.Action)
			continue
		}
		l, ok := linkBySeq[e.Seq]
		if !ok || l.Hash != e.Hash || l.PrevHash != e.PrevHash {
			bad("audit entry %d (%s): not the entry the chain holds", e.Seq, e.Action)
			continue
		}
		okf("audit entry %d %s %s: hash recomputed, in the chain", e.Seq, e.Action, e.Object)
	}

	// 3. The submission: binds the tip's text, category and media.
	var submit *ProofEntry
	for _, e := range m.Audit.Entries {
		if e.Action == "tip.submit" && e.Object == "tip:"+m.Tip.ID {
			submit = &e
			break
		}
	}
	var sd struct {
		Category     string   `json:"category"`
		Center       string   `json:"center"`
		Media        []string `json:"media"`
		Attestations []string `json:"attestations"`
		DescSHA      string   `json:"description_sha256"`
	}
	if submit == nil {
		bad("no tip.submit audit entry for tip %s", m.Tip.ID)
	} else if err := json.Unmarshal([]byte(submit.Detail), &sd); err != nil {
		bad("tip.submit entry %d: detail is not JSON", submit.Seq)
	} else {
		var ids []string
		for _, md := range m.Media {
			ids = append(ids, md.ID)
		}
		switch {
		case sd.DescSHA != sha256Hex([]byte(m.Tip.Description)):
			bad("tip description differs from what was submitted (entry %d)", submit.Seq)
		case sd.Category != string(m.Tip.Category):
			bad("tip category differs from what was submitted (entry %d)", submit.Seq)
		case !sameSet(ids, sd.Media):
			bad("the exported media are not the media submitted with the tip (entry %d)", submit.Seq)
		default:
			okf("submission entry %d matches the tip's text, category and media", submit.Seq)
		}
	}

	// 4. Each capture: bytes, type, attestation, its audit entry.
	for _, md := range m.Media {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, ok := files[md.File]
		if !ok {
			bad("media %s: file %s missing from the export", md.ID, md.File)
			continue
		}
		sum, size, head, err := hashZipFile(f)
		if err != nil {
			bad("media %s: %v", md.ID, err)
			continue
		}
		if sum != md.SHA256 || size != md.Size {
			bad("media %s: content does not match its SHA-256 (the file was altered)", md.ID)
			continue
		}
		if sn, ok := Sniff(head); !ok {
			bad("media %s: not a media format", md.ID)
			continue
		} else if _, ok := Resolve(sn, md.MIME); !ok {
			bad("media %s: content is %s, recorded as %s", md.ID, sn.MIME, md.MIME)
			continue
		}
		if sha256Hex([]byte(md.Attestation)) != md.AttestationHash {
			bad("media %s: attestation record does not match its hash (the attestation was altered)", md.ID)
			continue
		}
		var att Attestation
		if err := json.Unmarshal([]byte(md.Attestation), &att); err != nil {
			bad("media %s: attestation is not JSON", md.ID)
			continue
		}
		if att.MediaID != md.ID || att.SHA256 != md.SHA256 || att.Size != md.Size || att.MIME != md.MIME || att.ClientSHA256 != md.SHA256 {
			bad("media %s: attestation describes other media", md.ID)
			continue
		}
		capAt, e1 := time.Parse(tsLayout, att.CapturedAt)
		iss, e2 := time.Parse(tsLayout, att.TokenIssuedAt)
		exp, e3 := time.Parse(tsLayout, att.TokenExpiresAt)
		if e1 != nil || e2 != nil || e3 != nil || capAt.Before(iss.Add(-time.Minute)) || capAt.After(exp.Add(time.Minute)) {
			bad("media %s: capture time %s outside the token window %s – %s", md.ID, att.CapturedAt, att.TokenIssuedAt, att.TokenExpiresAt)
			continue
		}
		e, ok := entries[md.AuditSeq]
		if !ok {
			bad("media %s: audit entry %d missing from the proof", md.ID, md.AuditSeq)
			continue
		}
		var ad struct {
			AttestationHash string `json:"attestation_hash"`
			SHA256          string `json:"sha256"`
		}
		if e.Action != "tip.capture.attest" || e.Object != "tip-media:"+md.ID || json.Unmarshal([]byte(e.Detail), &ad) != nil ||
			ad.AttestationHash != md.AttestationHash || ad.SHA256 != md.SHA256 {
			bad("media %s: audit entry %d does not attest this capture", md.ID, md.AuditSeq)
			continue
		}
		if submit != nil && !slices.Contains(sd.Attestations, md.AttestationHash) {
			bad("media %s: attestation not among those submitted with the tip", md.ID)
			continue
		}
		okf("media %s %s %d bytes: SHA-256 %s, captured %s at %.5f,%.5f, attested in entry %d",
			md.ID, md.MIME, md.Size, md.SHA256[:16]+"…", att.CapturedAt, att.Position.Lat, att.Position.Lng, md.AuditSeq)
	}

	if len(problems) > 0 {
		fmt.Fprintf(out, "FAILED: %d problem(s)\n", len(problems))
		return fmt.Errorf("export does not verify: %s", problems[0])
	}
	fmt.Fprintf(out, "OK: %d media, %d audit entries, chain head %d %s (compare with `open110 audit verify`)\n",
		len(m.Media), len(m.Audit.Entries), m.Audit.Head.Seq, m.Audit.Head.Hash)
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

func hashZipFile(f *zip.File) (sum string, size int64, head []byte, err error) {
	rc, err := f.Open()
	if err != nil {
		return "", 0, nil, err
	}
	defer rc.Close()
	h := sha256.New()
	hb := &headBuffer{max: SniffLen}
	size, err = io.Copy(io.MultiWriter(h, hb), rc)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, hb.b, nil
}
