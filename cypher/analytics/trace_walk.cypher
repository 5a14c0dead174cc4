// The real queries behind a walk: each query holding >= 1 of the values $keys (distinct Value keys),
// the keys it holds and the first 1,000 characters of its text (null when loaded without text); most
// values held first, then query id; at most $limit rows (null = all). Every row also carries the
// totals: queries (holding >= 1 of the values), replays (holding all of them) and holders (for each key
// of $keys, in order, the number of queries holding it).
// params: $keys, $limit
// returns: query_id, keys, source, conversation_id, language, text, queries, replays, holders
UNWIND $keys AS key
MATCH (q:Query)-[:HAS]->(v:Value {key: key})
WITH q, collect(DISTINCT key) AS keys
ORDER BY size(keys) DESC, q.id
WITH collect({q: q, keys: keys}) AS rows
WITH rows, [k IN $keys | size([r IN rows WHERE k IN r.keys])] AS holders,
     size([r IN rows WHERE size(r.keys) = size($keys)]) AS replays
UNWIND CASE WHEN $limit IS NULL THEN rows ELSE rows[..$limit] END AS row
WITH row.q AS q, row.keys AS keys, size(rows) AS queries, replays, holders
RETURN q.id AS query_id, keys, q.source AS source, q.conversation_id AS conversation_id,
       q.language AS language, left(q.text, 1000) AS text, queries, replays, holders
