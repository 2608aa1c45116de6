-- 005_revocation_effective_at (SQLite): a whole-token entry may apply only from an instant (a
-- rotation's grace end, #15 item 4), so verifiers learn of it at rotation time and refuse the old
-- token right after the grace. NULL: in force at once. Same column as
-- db/postgres/004_revocation_effective_at.sql.
--
-- An entry not yet in force is replaced (deleted, and inserted again under a new seq) when one that
-- applies sooner is added, e.g. the key is revoked during its grace: readers following the cursor
-- receive the replacement; one whose cursor is before the deleted seq sees a gap and takes a
-- snapshot, as after pruning.
ALTER TABLE revocations ADD COLUMN effective_at TEXT CHECK (effective_at IS NULL OR revocation_id = '');
