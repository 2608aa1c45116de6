-- 007_feed_numbering_uses_its_index (PostgreSQL): numbering the feed costs the same however many
-- entries the table holds.
--
-- revocation_feed_number() and revocation_feed_assign() (005, 006) find the pending entries through
-- the partial index revocations_pending. PL/pgSQL keeps the plans of their statements for the
-- session, made with the statistics of that moment: made while the table was small (a new
-- database; a burst before autovacuum's next analyze), they read the whole table instead (a
-- sequential scan for the EXISTS checks, a hash join over a sequential scan to number the rows),
-- so every call cost time in proportion to the entries ever written. And a bitmap scan of the
-- index, as the other plans chose, never marks the entries of numbered rows dead, so the index
-- grows with every entry numbered until the next vacuum, and so does each scan of it.
-- Measured (#17, 4 000 batches on one connection, each an insert of 5 entries and the call that
-- numbers them): 1.6-1.8 ms per batch at 5 000 entries and 6.3 ms at 20 000 before; 0.5-0.7 ms
-- flat after, with the index at two pages throughout. Planning every call afresh
-- (plan_cache_mode = force_custom_plan) does not help: the planner still chose those scans.
--
-- Both functions now plan without sequential or bitmap scans: the pending entries are read through
-- the index (an index scan marks the entries it finds numbered as dead, and later inserts reclaim
-- their space), and each numbered row is found by its primary key.
ALTER FUNCTION revocation_feed_number() SET enable_seqscan = off;
ALTER FUNCTION revocation_feed_number() SET enable_bitmapscan = off;
ALTER FUNCTION revocation_feed_assign() SET enable_seqscan = off;
ALTER FUNCTION revocation_feed_assign() SET enable_bitmapscan = off;
