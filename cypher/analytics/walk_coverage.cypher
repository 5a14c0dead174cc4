// The share of a doc type's values and edges that a set of sampled walks visits ($paths: lists of
// node keys, in walk order).
// params: $doc_type, $paths
// returns: doc_type, values, values_visited, value_coverage, edges, edges_visited, edge_coverage
CALL () { MATCH (v:Value {doc_type: $doc_type}) RETURN count(v) AS values }
CALL () { MATCH (:Value {doc_type: $doc_type})-[r:CO_OCCURS]->() RETURN count(r) AS edges }
CALL () {
  UNWIND $paths AS path
  UNWIND path AS key
  WITH DISTINCT key
  MATCH (v:Value {key: key})
  WHERE v.doc_type = $doc_type
  RETURN count(v) AS values_visited
}
CALL () {
  UNWIND $paths AS path
  UNWIND range(0, size(path) - 2) AS i
  WITH DISTINCT CASE WHEN path[i] < path[i + 1] THEN [path[i], path[i + 1]] ELSE [path[i + 1], path[i]] END AS pair
  MATCH (a:Value {key: pair[0]})-[r:CO_OCCURS]->(:Value {key: pair[1]})
  WHERE a.doc_type = $doc_type
  RETURN count(r) AS edges_visited
}
RETURN $doc_type AS doc_type, values, values_visited,
       CASE WHEN values > 0 THEN toFloat(values_visited) / values ELSE 0.0 END AS value_coverage,
       edges, edges_visited, CASE WHEN edges > 0 THEN toFloat(edges_visited) / edges ELSE 0.0 END AS edge_coverage
