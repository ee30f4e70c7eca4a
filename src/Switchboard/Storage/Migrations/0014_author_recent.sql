-- Assignment looks up the agent who last had the same author's conversation (Assignments: sticky routing) once per new
-- conversation: the author's newest assigned conversation. With only (author_id), PostgreSQL often planned it as a
-- backwards walk of ix_conversations_recent filtering on the author, 3–5 ms a post on a small table and growing with
-- it; this index answers it with one short range scan on both databases. It replaces the single-column index (every
-- query on author_id alone can use its prefix).
CREATE INDEX ix_conversations_author_recent ON conversations (author_id, last_message_at DESC);
DROP INDEX ix_conversations_author;
