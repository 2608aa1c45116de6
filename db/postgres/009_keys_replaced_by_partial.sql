-- 009_keys_replaced_by_partial (PostgreSQL): the index on keys.replaced_by holds only the keys that
-- were replaced.
--
-- It exists for the foreign key (deleting a key clears replaced_by where it points at it: a lookup
-- `replaced_by = $1`, which implies NOT NULL, so the partial index serves it). Holding every key, it
-- took an entry for each key created and for each key revoked (revoking changes indexed columns,
-- so every index of the row takes the new version), nearly all of them NULL.
CREATE INDEX keys_replaced_by_set ON keys (replaced_by) WHERE replaced_by IS NOT NULL;
DROP INDEX keys_replaced_by;
