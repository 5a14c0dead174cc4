// How many values have each co-occurrence degree, per doc type ($doc_type null = every doc type).
// params: $doc_type
// returns: doc_type, degree, values
MATCH (v:Value)
WHERE $doc_type IS NULL OR v.doc_type = $doc_type
OPTIONAL MATCH (v)-[r:CO_OCCURS]-()
WITH v.doc_type AS doc_type, v, count(r) AS degree
RETURN doc_type, degree, count(v) AS values
ORDER BY doc_type, degree
