// Per doc type: queries behind it, values, co-occurrence edges, density and degree statistics.
// params: (none)
// returns: doc_type, queries, values, edges, density, avg_degree, median_degree, max_degree
MATCH (d:DocType)
CALL (d) {
  MATCH (v:Value)-[:IN_TYPE]->(d)
  OPTIONAL MATCH (v)-[r:CO_OCCURS]-()
  WITH v, count(r) AS degree
  RETURN count(v) AS values, sum(degree) / 2 AS edges, avg(degree) AS avg_degree,
         percentileDisc(degree, 0.5) AS median_degree, max(degree) AS max_degree
}
RETURN d.name AS doc_type, d.size AS queries, values, edges,
       CASE WHEN values > 1 THEN 2.0 * edges / (values * (values - 1.0)) ELSE 0.0 END AS density,
       coalesce(avg_degree, 0.0) AS avg_degree, coalesce(median_degree, 0) AS median_degree,
       coalesce(max_degree, 0) AS max_degree
ORDER BY queries DESC, doc_type
