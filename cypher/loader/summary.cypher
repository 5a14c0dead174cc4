// What the loader wrote: node and relationship counts by type (served from the count store).
// params: (none)
// returns: queries, values, doc_types, has, of_type, in_type, co_occurs
CALL () { MATCH (n:Query) RETURN count(n) AS queries }
CALL () { MATCH (n:Value) RETURN count(n) AS values }
CALL () { MATCH (n:DocType) RETURN count(n) AS doc_types }
CALL () { MATCH ()-[r:HAS]->() RETURN count(r) AS has }
CALL () { MATCH ()-[r:OF_TYPE]->() RETURN count(r) AS of_type }
CALL () { MATCH ()-[r:IN_TYPE]->() RETURN count(r) AS in_type }
CALL () { MATCH ()-[r:CO_OCCURS]->() RETURN count(r) AS co_occurs }
RETURN queries, values, doc_types, has, of_type, in_type, co_occurs
