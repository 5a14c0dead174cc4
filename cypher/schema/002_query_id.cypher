// One (:Query) per real user query id.
// params: (none)
// returns: (none)
CREATE CONSTRAINT query_id IF NOT EXISTS
FOR (q:Query) REQUIRE q.id IS UNIQUE
