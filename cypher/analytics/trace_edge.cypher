// The real queries behind a co-occurrence edge: those that hold both values.
// params: $doc_type, $field_a, $value_a, $field_b, $value_b, $limit
// returns: query_id, source, conversation_id, language, text
MATCH (q:Query)-[:HAS]->(:Value {doc_type: $doc_type, field: $field_a, value: $value_a}),
      (q)-[:HAS]->(:Value {doc_type: $doc_type, field: $field_b, value: $value_b})
RETURN q.id AS query_id, q.source AS source, q.conversation_id AS conversation_id, q.language AS language,
       q.text AS text
ORDER BY query_id
LIMIT $limit
