// Build the CO_OCCURS edges of one doc type from the HAS facts, one aggregated pass per value: for each
// value a, every value b that shares queries with it is counted, and when a.key < b.key it gets ONE edge
// a->b with count = the number of those queries and weight = ln(1 + count); readers match it undirected.
// The key test runs after the aggregation (one property read per pair, not per query). A query's HAS
// facts all lead to values of its own doc type (the load guarantees it), so b is in the doc type too.
// params: $doc_type, $batch
// returns: (none)
MATCH (a:Value {doc_type: $doc_type})
CALL (a) {
  MATCH (a)<-[:HAS]-(q)-[:HAS]->(b)
  WITH b, count(q) AS c
  WHERE a.key < b.key
  CREATE (a)-[:CO_OCCURS {count: c, weight: log(1.0 + c)}]->(b)
} IN TRANSACTIONS OF $batch ROWS
