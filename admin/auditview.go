package admin

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"open110/admin/settings"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
)

// maxExport bounds one export; a larger range is exported in pieces with ?after=.
const maxExport = 20000

var errBadFilter = apperr.New(apperr.Invalid, "invalid_filter", "invalid audit filter")

// auditFilter reads actor, action, object, subject (exact, or prefix with a
// trailing "*"), from and to (RFC 3339), after (sequence cursor) and limit.
func auditFilter(q url.Values) (audit.Filter, error) {
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Subject: q.Get("subject")}
	for _, v := range []string{f.Actor, f.Action, f.Object, f.Subject} {
		if len(v) > 200 {
			return f, errBadFilter.Msg("filter values are at most 200 characters")
		}
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, errBadFilter.Msg("%s must be an RFC 3339 time", name).With("field", name)
			}
			*dst = t
		}
	}
	for name, dst := range map[string]*int64{"after": &f.AfterSeq} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return f, errBadFilter.Msg("%s must be a non-negative integer", name).With("field", name)
			}
			*dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, errBadFilter.Msg("limit must be 1–1000").With("field", "limit")
		}
		f.Limit = n
	}
	return f, nil
}

// handleAuditList pages through the log: ?after= the last seq seen.
func (s *Service) handleAuditList(w http.ResponseWriter, r *http.Request) {
	if _, err := requireWatcher(r); err != nil {
		fail(w, r, err)
		return
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		fail(w, r, err)
		return
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	es, err := s.Audit.List(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	if es == nil {
		es = []audit.Entry{}
	}
	next := int64(0)
	if len(es) == f.Limit {
		next = es[len(es)-1].Seq
	}
	api.JSON(w, http.StatusOK, map[string]any{"entries": es, "next_after": next})
}

// handleAuditExport writes the matching entries as CSV or JSON (?format=),
// with their hashes so the file can be checked against the chain. The
// export itself is audited.
func (s *Service) handleAuditExport(w http.ResponseWriter, r *http.Request) {
	p, err := requireWatcher(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		fail(w, r, err)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		fail(w, r, errBadFilter.Msg("format must be csv or json").With("field", "format"))
		return
	}
	var all []audit.Entry
	f.Limit = 1000
	for len(all) < maxExport {
		es, err := s.Audit.List(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		all = append(all, es...)
		if len(es) < f.Limit {
			break
		}
		f.AfterSeq = es[len(es)-1].Seq
	}
	truncated := len(all) >= maxExport
	e := entry(r, p, "audit.export", "audit:log")
	e.Detail = map[string]any{"format": format, "entries": len(all), "filter": q.Encode()}
	if _, err := s.Audit.Append(r.Context(), e); err != nil {
		fail(w, r, err)
		return
	}
	name := "open110-audit-" + s.Now().UTC().Format("20060102T150405Z")
	if truncated {
		w.Header().Set("X-Open110-Truncated", "true")
	}
	if format == "json" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		if all == nil {
			all = []audit.Entry{}
		}
		api.JSON(w, http.StatusOK, map[string]any{"entries": all, "truncated": truncated})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("\ufeff")) // BOM: spreadsheet programs then read the Chinese text as UTF-8
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "at", "actor", "actor_ip", "request_ip", "action", "object", "subject", "reason", "detail", "prev_hash", "hash"})
	for _, e := range all {
		detail := ""
		if len(e.Detail) > 0 {
			b, _ := json.Marshal(e.Detail)
			detail = string(b)
		}
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), csvSafe(e.Actor), e.ActorIP, e.RequestIP,
			csvSafe(e.Action), csvSafe(e.Object), csvSafe(e.Subject), csvSafe(e.Reason), csvSafe(detail), e.PrevHash, e.Hash})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in text that users wrote.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// handleAuditVerify walks the chain, exactly as `open110 audit verify`.
func (s *Service) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	p, err := requireWatcher(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Audit.Verify(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	e := entry(r, p, "audit.verify", "audit:log")
	e.Detail = map[string]any{"ok": res.OK, "entries": res.Entries, "bad_seq": res.BadSeq}
	if _, err := s.Audit.Append(r.Context(), e); err != nil {
		s.Log.Error("audit the verification", "err", err)
	}
	api.JSON(w, http.StatusOK, map[string]any{"result": res, "checked_at": s.Now().UTC().Format(time.RFC3339)})
}

// flat renders settings as "field" → JSON value for the top-level fields
// and one level below (rate_limits.otp_per_ip_hour), secrets as set/unset.
func flat(st settings.Settings) map[string]string {
	st = st.Mask()
	b, _ := json.Marshal(st)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := map[string]string{}
	for k, v := range m {
		var sub map[string]json.RawMessage
		if len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &sub) == nil {
			for k2, v2 := range sub {
				out[k+"."+k2] = string(v2)
			}
			continue
		}
		out[k] = string(v)
	}
	return out
}

func sortStrings(s []string) []string { sort.Strings(s); return s }
