// A cheap fingerprint of one doc type's walkable graph (values, their counts, edges, their counts),
// compared with the one stored when the walk index was built: a change means the index is stale.
// params: $doc_type
// returns: signature, stored
MATCH (d:DocType {name: $doc_type})
CALL (d) {
  MATCH (v:Value)-[:IN_TYPE]->(d)
  RETURN count(v) AS values, sum(v.count) AS value_counts
}
CALL (d) {
  MATCH (a:Value)-[:IN_TYPE]->(d)
  MATCH (a)-[r:CO_OCCURS]->()
  RETURN count(r) AS edges, sum(r.count) AS edge_counts
}
RETURN values + ':' + value_counts + ':' + edges + ':' + edge_counts AS signature, d.walk_index AS stored
