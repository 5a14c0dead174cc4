// Graph health: every Value of the doc types in $doc_types (null = every doc type), with the number of
// real queries that hold it and its CO_OCCURS degree.
// params: $doc_types
// returns: doc_type, field, key, value, queries, degree
MATCH (v:Value)
WHERE $doc_types IS NULL OR v.doc_type IN $doc_types
RETURN v.doc_type AS doc_type, v.field AS field, v.key AS key, v.value AS value,
       COUNT { (:Query)-[:HAS]->(v) } AS queries, COUNT { (v)-[:CO_OCCURS]-() } AS degree
ORDER BY doc_type, key
