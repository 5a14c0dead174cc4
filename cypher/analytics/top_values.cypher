// The most frequent values of each field ($doc_type / $field null = all), with their share of the
// doc type's queries.
// params: $doc_type, $field, $limit
// returns: doc_type, field, value, count, share
MATCH (v:Value)-[:IN_TYPE]->(d:DocType)
WHERE ($doc_type IS NULL OR v.doc_type = $doc_type) AND ($field IS NULL OR v.field = $field)
WITH d, v ORDER BY v.count DESC, v.value
WITH d, v.field AS field, collect(v)[..$limit] AS top
UNWIND top AS v
RETURN d.name AS doc_type, field, v.value AS value, v.count AS count,
       CASE WHEN d.size > 0 THEN toFloat(v.count) / d.size ELSE null END AS share
ORDER BY doc_type, field, count DESC, value
