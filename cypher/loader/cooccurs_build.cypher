// Build the CO_OCCURS edges of one doc type from the HAS facts, one aggregated pass per value: for each
// value a, every value b with a.key < b.key that shares queries with it gets ONE edge a->b with
// count = the number of those queries and weight = ln(1 + count). Readers match it undirected.
// params: $doc_type, $batch
// returns: (none)
MATCH (a:Value {doc_type: $doc_type})
CALL (a) {
  MATCH (a)<-[:HAS]-(q:Query)-[:HAS]->(b:Value)
  WHERE a.key < b.key AND b.doc_type = $doc_type
  WITH b, count(q) AS c
  CREATE (a)-[:CO_OCCURS {count: c, weight: log(1.0 + c)}]->(b)
} IN TRANSACTIONS OF $batch ROWS
