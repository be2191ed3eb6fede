-- Per-IP request counts for the sign-in limits, in fixed windows kept in
-- the database so a limit holds across every node of a cluster. Rows older
-- than two windows are deleted as new ones are written.
CREATE TABLE account_ip_counts (
	scope        TEXT   NOT NULL,
	ip           TEXT   NOT NULL,
	window_start BIGINT NOT NULL,
	n            BIGINT NOT NULL,
	PRIMARY KEY (scope, ip, window_start)
);
CREATE INDEX account_ip_counts_window ON account_ip_counts (window_start);
