package account

import (
	"net/http"
	"strings"

	"open110/platform/api"
	"open110/platform/apperr"
)

// Middleware resolves "Authorization: Bearer <token>" into the request's
// Principal. Browsers cannot set headers on WebSockets, so for upgrade
// requests only, "?access_token=" is accepted too (request logs never
// include query strings). A present but bad token is answered with 401
// invalid_token, so a client learns at once that it must sign in again.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.Authenticate(r.Context(), token)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return h // malformed: Authenticate refuses it
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// Register adds the sign-in endpoints to mux.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/auth/otp", s.handleOTP)
	mux.HandleFunc("POST /api/v1/auth/otp/verify", s.handleOTPVerify)
	mux.HandleFunc("POST /api/v1/auth/login", s.handleLogin)
	mux.HandleFunc("POST /api/v1/auth/logout", s.handleLogout)
	mux.HandleFunc("GET /api/v1/me", s.handleMe)
	mux.HandleFunc("POST /api/v1/auth/totp/enroll", s.handleTOTPEnroll)
	mux.HandleFunc("POST /api/v1/auth/totp/confirm", s.handleTOTPConfirm)
	mux.HandleFunc("GET /api/v1/centers", s.handleCenters)
}

func (s *Service) handleOTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.RequestOTP(r.Context(), req.Phone, api.ClientIP(r)); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusAccepted, map[string]any{
		"expires_in_s": int(s.cfg.OTPTTL.Seconds()), "resend_after_s": int(s.cfg.OTPResend.Seconds()),
	})
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt string    `json:"expires_at"`
	User      Principal `json:"user"`
}

func sessionJSON(sess Session) sessionResponse {
	return sessionResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z07:00"), User: sess.Principal}
}

func (s *Service) handleOTPVerify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"`
		Code  string `json:"code"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	sess, err := s.VerifyOTP(r.Context(), req.Phone, req.Code, api.ClientIP(r), r.UserAgent())
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, sessionJSON(sess))
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		TOTP     string `json:"totp"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		api.Fail(w, r, apperr.New(apperr.Invalid, "missing_credentials", "username and password are required"))
		return
	}
	sess, err := s.Login(r.Context(), req.Username, req.Password, req.TOTP, api.ClientIP(r), r.UserAgent())
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, sessionJSON(sess))
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	if _, err := Require(r); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.Logout(r.Context(), bearer(r)); err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	p, err := Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := map[string]any{"kind": p.Kind, "id": p.ID}
	if p.IsCitizen() {
		out["phone"] = p.Phone
	} else {
		c, err := s.GetCenter(r.Context(), p.Center)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		out["username"], out["name"], out["role"] = p.Username, p.Name, p.Role
		out["center"] = map[string]any{"code": c.Code, "name": c.Name, "level": c.Level}
	}
	api.JSON(w, http.StatusOK, out)
}

func (s *Service) handleTOTPEnroll(w http.ResponseWriter, r *http.Request) {
	p, err := RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	secret, url, err := s.EnrollTOTP(r.Context(), p.ID)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]string{"secret": secret, "otpauth_url": url})
}

func (s *Service) handleTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	p, err := RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(w, r, &req, 1024); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.ConfirmTOTP(r.Context(), p.ID, req.Code); err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleCenters lists the command centres: public, like the unit tree.
func (s *Service) handleCenters(w http.ResponseWriter, r *http.Request) {
	cs, err := s.ListCenters(r.Context())
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"centers": cs})
}
