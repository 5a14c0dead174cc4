// Write a batch of queries with their facts: the (:Query) node, OF_TYPE to its doc type and HAS to each
// of its values (created beforehand). The queries have no facts at this point (new, or just cleared).
// params: $rows
// returns: (none)
UNWIND $rows AS row
MERGE (q:Query {id: row.id})
SET q.source = row.source, q.conversation_id = row.conversation_id, q.language = row.language,
    q.text = row.text, q.facts_hash = row.facts_hash
WITH q, row
CALL (q, row) {
  MATCH (d:DocType {name: row.doc_type})
  CREATE (q)-[:OF_TYPE]->(d)
}
CALL (q, row) {
  UNWIND row.keys AS key
  MATCH (v:Value {key: key})
  CREATE (q)-[:HAS]->(v)
}
