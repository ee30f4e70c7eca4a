-- People (docs/people.md): a person who leaves is deactivated, never deleted, so their messages, notes, approvals
-- and audit records keep naming them. A deactivated person cannot sign in, and their sessions and API tokens end.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

-- Carried in the session cookie and compared on every request: bumping it (password reset, deactivation) ends every
-- session issued before.
ALTER TABLE users ADD COLUMN session_stamp BIGINT NOT NULL DEFAULT 0;
