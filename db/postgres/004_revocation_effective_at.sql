-- 004_revocation_effective_at (PostgreSQL): a whole-token entry may apply only from an instant (a
-- rotation's grace end, #15 item 4), so verifiers learn of it at rotation time and refuse the old
-- token right after the grace. NULL: in force at once. Same column as
-- db/sqlite/005_revocation_effective_at.sql.
--
-- An entry not yet in force is replaced when one that applies sooner is added (the key is revoked
-- during its grace): with the revocation_feed counter row locked (001_init.sql), the row moves to
-- the next seq with the new entry's fields, so seq order stays commit order and a reader following
-- the cursor receives it. The deleted seq leaves a gap, which the feed reads as it reads
-- a pruned one: a reader whose cursor is before it takes a snapshot.
ALTER TABLE revocations ADD COLUMN effective_at timestamptz;
ALTER TABLE revocations ADD CONSTRAINT revocations_effective_at_whole_token
  CHECK (effective_at IS NULL OR revocation_id = '');

-- The replacement moves the row to its new seq (an UPDATE of the primary key, so the unique
-- (token_id, revocation_id) never holds two rows); instances LISTENing learn of it as of an insert.
CREATE TRIGGER revocations_notify_moved AFTER UPDATE OF seq ON revocations
  FOR EACH ROW EXECUTE FUNCTION revocations_notify();
