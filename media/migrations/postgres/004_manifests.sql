-- One recording manifest per alarm in the audit chain. Every node hears an
-- alarm's close; the node holding its room writes the manifest after the
-- last segment is stored, and when no live node holds it (its node died)
-- any node may — this row makes sure only one does.
CREATE TABLE media_manifests (
	alarm_id   TEXT   PRIMARY KEY,
	written_at BIGINT NOT NULL
);
