// What the graph already holds for these query ids: the hash of their loaded facts and their doc types.
// params: $ids
// returns: id, facts_hash, doc_types
UNWIND $ids AS id
MATCH (q:Query {id: id})
RETURN q.id AS id, q.facts_hash AS facts_hash, [(q)-[:OF_TYPE]->(d:DocType) | d.name] AS doc_types
