// Bridge values: those whose neighbours span the most other fields, so walks through them can reach
// many kinds of need.
// params: $doc_type, $limit
// returns: doc_type, field, value, fields_reached, degree, weighted_degree
MATCH (v:Value)-[r:CO_OCCURS]-(n:Value)
WHERE ($doc_type IS NULL OR v.doc_type = $doc_type) AND n.field <> v.field
RETURN v.doc_type AS doc_type, v.field AS field, v.value AS value, count(DISTINCT n.field) AS fields_reached,
       count(r) AS degree, sum(r.weight) AS weighted_degree
ORDER BY fields_reached DESC, weighted_degree DESC, doc_type, field, value
LIMIT $limit
