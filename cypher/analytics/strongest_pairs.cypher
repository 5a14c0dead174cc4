// The heaviest co-occurrence edges ($doc_type null = all), with lift and PMI against the values'
// frequencies: lift = count * queries / (count_a * count_b), pmi = ln(lift).
// params: $doc_type, $limit
// returns: doc_type, field_a, value_a, field_b, value_b, count, weight, lift, pmi
MATCH (a:Value)-[r:CO_OCCURS]->(b:Value), (a)-[:IN_TYPE]->(d:DocType)
WHERE $doc_type IS NULL OR a.doc_type = $doc_type
WITH d, a, b, r, toFloat(r.count) * d.size / (a.count * b.count) AS lift
RETURN d.name AS doc_type, a.field AS field_a, a.value AS value_a, b.field AS field_b, b.value AS value_b,
       r.count AS count, r.weight AS weight, lift, log(lift) AS pmi
ORDER BY weight DESC, doc_type, value_a, value_b
LIMIT $limit
