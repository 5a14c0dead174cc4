// One field compared across doc types: each doc type's top values and their share of its queries.
// params: $field, $limit
// returns: doc_type, rank, value, count, share
MATCH (v:Value {field: $field})-[:IN_TYPE]->(d:DocType)
WITH d, v ORDER BY v.count DESC, v.value
WITH d, collect(v)[..$limit] AS top
UNWIND range(0, size(top) - 1) AS i
RETURN d.name AS doc_type, i + 1 AS rank, top[i].value AS value, top[i].count AS count,
       CASE WHEN d.size > 0 THEN toFloat(top[i].count) / d.size ELSE null END AS share
ORDER BY doc_type, rank
