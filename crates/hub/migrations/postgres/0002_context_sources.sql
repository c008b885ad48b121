-- seed's contexts keep what they were built from (`extra`: sources, summary, mood,
-- analysis kind...) and the key that makes a retried POST store nothing twice. The
-- unique index names `started` too: a TimescaleDB hypertable requires its time column
-- in every unique index.
ALTER TABLE contexts ADD COLUMN extra JSONB;
ALTER TABLE contexts ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX contexts_idempotency ON contexts (idempotency_key, started);
