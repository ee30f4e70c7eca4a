-- Posts the pipeline could not store (docs/architecture.md "Poison posts"): a post that fails on its own, after its
-- batch was retried one post at a time, is counted here; after DeadLetters.MaxAttempts failures it is parked here
-- for good and its source is answered as if it was taken, so a provider stops redelivering it and the rest flows on.
CREATE TABLE dead_letters (
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  post_json TEXT NOT NULL,
  error TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  first_failed_at BIGINT NOT NULL,
  last_failed_at BIGINT NOT NULL,
  parked_at BIGINT,
  PRIMARY KEY (channel, external_id)
);
