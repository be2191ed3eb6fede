package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"open110/tip"
)

// wireTip serves tips (线索举报). Tipster identities are sealed with master
// keys from <data>/identity.keys ("<id> <64 hex>" lines, oldest first),
// created with one key at first start. To rotate, append a key (`open110
// evidence add-identity-key --data DIR`) and restart: new identities use
// the newest key and every older one is re-wrapped to it here, after which
// old lines may be removed. Nodes sharing a database need the same file.
func wireTip(a *App) error {
	keys, err := tip.LoadKeyFile(filepath.Join(a.Cfg.Data, "identity.keys"), a.Now())
	if err != nil {
		return err
	}
	tmp := filepath.Join(a.Cfg.Data, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return fmt.Errorf("tip: %w", err)
	}
	svc := tip.New(a.DB, a.Audit, a.Blob, keys, a.Router, a.Accounts, a.Secret, tip.Config{TempDir: tmp}, a.Now, a.Log)
	n, err := svc.RewrapIdentities(context.Background())
	if err != nil {
		return fmt.Errorf("tip: re-wrap identities: %w", err)
	}
	if n > 0 {
		a.Log.Info("tip identities re-wrapped to the newest key", "count", n, "key", keys.NewestID())
	}
	tip.NewHandler(svc, a.Now).Register(a.Mux)
	a.tips = svc
	a.AddOpenAPI(tip.OpenAPI)
	return nil
}
