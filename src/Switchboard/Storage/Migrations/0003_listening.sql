-- Listening topics in the product (issue 3): resumable backfill. A topic is backfilled for version v when
-- backfilled_version = v. While it is not, backfill_cursor is the highest message id already re-scanned for the
-- current version (each batch commits it with its matches, so a crash resumes after the last committed batch), and
-- backfill_target the highest message id that existed when that backfill started: newer messages were matched by the
-- live pipeline with the new query. NULL target = not started yet.
ALTER TABLE topics ADD COLUMN backfill_cursor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN backfill_target BIGINT;

-- The inbox filter joins message_topics by conversation; the backfill replaces one topic's matches by message range.
CREATE INDEX ix_message_topics_topic_message ON message_topics (topic_id, message_id);
