// Graph health: for each Value key in $keys, the ids of every real query that holds it (in id order);
// a key that is not in the graph gives no row.
// params: $keys
// returns: key, query_ids
UNWIND $keys AS key
MATCH (v:Value {key: key})
RETURN key, COLLECT { MATCH (q:Query)-[:HAS]->(v) RETURN q.id ORDER BY q.id } AS query_ids
