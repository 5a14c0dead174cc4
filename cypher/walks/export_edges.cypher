// Every CO_OCCURS edge of one doc type, once, with both ends' keys and fields: the NumPy reference
// sampler and the walk-coverage report build their adjacency from it.
// params: $doc_type
// returns: a, a_field, b, b_field, weight, count
MATCH (x:Value {doc_type: $doc_type})-[r:CO_OCCURS]->(y:Value)
RETURN x.key AS a, x.field AS a_field, y.key AS b, y.field AS b_field, toFloat(r.weight) AS weight,
       r.count AS count
ORDER BY a, b
