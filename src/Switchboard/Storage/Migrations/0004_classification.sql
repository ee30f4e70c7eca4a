-- Learning from corrections (issue 4 item 4): human labels, workspace models and every retraining attempt.

-- Every human statement about a label of a message: an agent's correction ('correct'), an agent confirming the label
-- is right ('confirm'), or a label that came with the imported data ('import', user NULL, actor 'import').
-- The newest row per (message, label) is the message's human label; training and accuracy read it from here.
CREATE TABLE label_corrections (
  id {{id}},
  message_id BIGINT NOT NULL REFERENCES messages(id),
  label TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT NOT NULL,
  kind TEXT NOT NULL,
  user_id BIGINT REFERENCES users(id),
  actor TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX ix_label_corrections_message ON label_corrections (message_id, label, id);
CREATE INDEX ix_label_corrections_label ON label_corrections (label, created_at);

-- Model versions of the workspace. name is 'sentiment' (overrides the default sentiment) or a custom label set
-- such as 'complaint_reason'. model is the ModelFile bytes, base64 (TEXT works the same on SQLite and PostgreSQL).
-- At most one row per name has active = 1.
CREATE TABLE models (
  id {{id}},
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  labels TEXT NOT NULL,
  model TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT NOT NULL,
  trained_at BIGINT NOT NULL,
  trained_by BIGINT REFERENCES users(id),
  trained_by_name TEXT NOT NULL,
  training_rows BIGINT NOT NULL DEFAULT 0,
  heldback_rows BIGINT NOT NULL DEFAULT 0,
  heldback_accuracy DOUBLE PRECISION,
  heldback_macro_f1 DOUBLE PRECISION,
  active BIGINT NOT NULL DEFAULT 0,
  UNIQUE (name, version)
);

CREATE INDEX ix_models_active ON models (active, name);

-- Every retraining or import attempt, kept or not, with the numbers it was decided on.
-- outcome: 'activated' (the candidate replaced the active model), 'rejected' (less accurate on the held-back
-- slice: the active model stays), 'skipped' (not enough labelled data to train or to compare).
CREATE TABLE retrain_attempts (
  id {{id}},
  name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  requested_by BIGINT REFERENCES users(id),
  requested_by_name TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  training_rows BIGINT NOT NULL DEFAULT 0,
  heldback_rows BIGINT NOT NULL DEFAULT 0,
  active_accuracy DOUBLE PRECISION,
  candidate_accuracy DOUBLE PRECISION,
  candidate_macro_f1 DOUBLE PRECISION,
  model_id BIGINT REFERENCES models(id)
);

CREATE INDEX ix_retrain_attempts_name ON retrain_attempts (name, started_at);

-- What each active custom model said about each inbound message (one row per model name), corrected values included.
-- Routing reads the primary one from the category columns below; the inbox filters on any of them.
CREATE TABLE message_labels (
  message_id BIGINT NOT NULL REFERENCES messages(id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  confidence DOUBLE PRECISION,
  model_id BIGINT,
  PRIMARY KEY (message_id, name)
);

CREATE INDEX ix_message_labels_value ON message_labels (name, value, message_id);

-- The scores of the default labels (sentiment_score exists since 0001), and the primary custom label for routing:
-- category = the label of the first active custom model (by name), its confidence and the model name.
ALTER TABLE messages ADD COLUMN language_score DOUBLE PRECISION;
ALTER TABLE messages ADD COLUMN intent_score DOUBLE PRECISION;
ALTER TABLE messages ADD COLUMN department_score DOUBLE PRECISION;
ALTER TABLE messages ADD COLUMN category TEXT;
ALTER TABLE messages ADD COLUMN category_confidence DOUBLE PRECISION;
ALTER TABLE messages ADD COLUMN category_model TEXT;
ALTER TABLE conversations ADD COLUMN category TEXT;
ALTER TABLE conversations ADD COLUMN category_confidence DOUBLE PRECISION;
ALTER TABLE conversations ADD COLUMN category_model TEXT;
