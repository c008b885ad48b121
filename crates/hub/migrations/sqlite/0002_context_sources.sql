-- seed's contexts keep what they were built from (`extra`: sources, summary, mood,
-- analysis kind...) and the key that makes a retried POST store nothing twice.
ALTER TABLE contexts ADD COLUMN extra TEXT;
ALTER TABLE contexts ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX contexts_idempotency ON contexts (idempotency_key, started);
