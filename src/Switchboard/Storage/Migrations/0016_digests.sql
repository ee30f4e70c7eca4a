-- Scheduled KPI digests (docs/reports.md): one row per digest and period, written in the same transaction as the
-- webhook outbox row that carries it. The unique key makes "sent once" a database fact: two processes, a restart or
-- a retry after a crash cannot post the same week twice.
CREATE TABLE digest_runs (
  id {{id}},
  name TEXT NOT NULL,
  period_from TEXT NOT NULL,
  period_to TEXT NOT NULL,
  outbox_id BIGINT REFERENCES webhook_outbox(id),
  created_at BIGINT NOT NULL,
  UNIQUE (name, period_from)
);
