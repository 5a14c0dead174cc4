// The real queries behind a value (provenance of a node).
// params: $doc_type, $field, $value, $limit
// returns: query_id, source, conversation_id, language, text
MATCH (q:Query)-[:HAS]->(:Value {doc_type: $doc_type, field: $field, value: $value})
RETURN q.id AS query_id, q.source AS source, q.conversation_id AS conversation_id, q.language AS language,
       q.text AS text
ORDER BY query_id
LIMIT $limit
