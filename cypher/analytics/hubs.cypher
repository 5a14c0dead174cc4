// Values with the largest weighted degree: the needs that combine with most others.
// params: $doc_type, $limit
// returns: doc_type, field, value, count, degree, weighted_degree
MATCH (v:Value)-[r:CO_OCCURS]-()
WHERE $doc_type IS NULL OR v.doc_type = $doc_type
RETURN v.doc_type AS doc_type, v.field AS field, v.value AS value, v.count AS count, count(r) AS degree,
       sum(r.weight) AS weighted_degree
ORDER BY weighted_degree DESC, doc_type, field, value
LIMIT $limit
