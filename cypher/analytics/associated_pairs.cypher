// Pairs that co-occur more than their frequencies predict: ranked by PMI, only edges seen in at least
// $min_count queries (PMI over-rates rare pairs).
// params: $doc_type, $min_count, $limit
// returns: doc_type, field_a, value_a, field_b, value_b, count, weight, lift, pmi
MATCH (a:Value)-[r:CO_OCCURS]->(b:Value), (a)-[:IN_TYPE]->(d:DocType)
WHERE ($doc_type IS NULL OR a.doc_type = $doc_type) AND r.count >= $min_count
WITH d, a, b, r, toFloat(r.count) * d.size / (a.count * b.count) AS lift
RETURN d.name AS doc_type, a.field AS field_a, a.value AS value_a, b.field AS field_b, b.value AS value_b,
       r.count AS count, r.weight AS weight, lift, log(lift) AS pmi
ORDER BY pmi DESC, count DESC, value_a, value_b
LIMIT $limit
