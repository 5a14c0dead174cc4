// Remove the HAS and OF_TYPE facts of queries about to be loaded again with different facts.
// params: $ids
// returns: (none)
UNWIND $ids AS id
MATCH (q:Query {id: id})-[r:HAS|OF_TYPE]->()
DELETE r
