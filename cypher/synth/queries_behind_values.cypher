// Provenance of sampled walks: for each value key, the ids of the real queries that hold it (at most
// $per_value of them, in id order).
// params: $keys, $per_value
// returns: key, query_ids
UNWIND $keys AS key
MATCH (v:Value {key: key})
OPTIONAL MATCH (q:Query)-[:HAS]->(v)
WITH key, q
ORDER BY q.id
RETURN key, collect(q.id)[..$per_value] AS query_ids
