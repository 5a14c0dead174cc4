// Values no query has any more (their queries were reloaded with other facts) leave the graph.
// params: $doc_type
// returns: deleted
MATCH (v:Value {doc_type: $doc_type})
WHERE v.count = 0
DETACH DELETE v
RETURN count(*) AS deleted
