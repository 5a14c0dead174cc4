// The real queries behind one CO_OCCURS edge (given both values' keys, in either order): provenance.
// params: $a, $b
// returns: id, source, conversation_id
MATCH (x:Value {key: $a})<-[:HAS]-(q:Query)-[:HAS]->(y:Value {key: $b})
RETURN q.id AS id, q.source AS source, q.conversation_id AS conversation_id
ORDER BY id
