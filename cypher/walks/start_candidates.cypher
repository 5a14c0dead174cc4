// Values of one doc type with their counts: walks draw their start node in proportion to `count`.
// Ordered by key so that a seeded draw picks the same node on every run.
// params: $doc_type
// returns: key, field, value, count
MATCH (v:Value {doc_type: $doc_type})
WHERE v.count > 0
RETURN v.key AS key, v.field AS field, v.value AS value, v.count AS count
ORDER BY key
