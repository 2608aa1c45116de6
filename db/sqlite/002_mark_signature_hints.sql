-- #18 item 3: a key's hint is now the last four characters of its token string as issued. Rows
-- minted before hold four hex digits of the signature instead, which cannot be turned into the new
-- form without the token: mark them `sig…46a1` so nobody looks for them at the end of a token.
UPDATE keys SET hint = 'sig…' || substr(hint, -4) WHERE hint LIKE 'crumb_…%';
