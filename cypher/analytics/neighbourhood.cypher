// A value's co-occurring values, heaviest first, with lift.
// params: $doc_type, $field, $value, $limit
// returns: field, value, count, weight, lift
MATCH (v:Value {doc_type: $doc_type, field: $field, value: $value})-[r:CO_OCCURS]-(n:Value),
      (v)-[:IN_TYPE]->(d:DocType)
RETURN n.field AS field, n.value AS value, r.count AS count, r.weight AS weight,
       toFloat(r.count) * d.size / (v.count * n.count) AS lift
ORDER BY weight DESC, field, value
LIMIT $limit
