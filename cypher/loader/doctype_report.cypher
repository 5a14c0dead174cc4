// Per doc type: queries, values and co-occurrence edges (what `wildlong load` prints at the end).
// params: (none)
// returns: name, k_index, size, values, edges
MATCH (d:DocType)
CALL (d) {
  MATCH (v:Value)-[:IN_TYPE]->(d)
  RETURN count(v) AS values, sum(COUNT { (v)-[:CO_OCCURS]->() }) AS edges
}
RETURN d.name AS name, d.k_index AS k_index, d.size AS size, values, edges
ORDER BY k_index
