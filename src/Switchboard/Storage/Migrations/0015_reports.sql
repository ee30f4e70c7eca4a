-- Reports (docs/reports.md). resolved_at is when the conversation was last resolved, NULL while it is not: resolution
-- time is resolved_at − created_at. Conversations resolved before this migration take their last update as the best
-- estimate we have (their audit entries would be exact, but the audit trail may have been pruned).
ALTER TABLE conversations ADD COLUMN resolved_at BIGINT;
UPDATE conversations SET resolved_at = updated_at WHERE status = 'resolved';

-- A report reads the conversations started in its period and the messages written in it; without these both would be
-- a scan of the whole table. Both keys grow with time, so the writer appends to the right edge of each index.
CREATE INDEX ix_conversations_created ON conversations (created_at);
CREATE INDEX ix_messages_created ON messages (created_at);
