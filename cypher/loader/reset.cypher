// Delete every node the loader writes (Query, Value, DocType) with their relationships, in batches.
// params: (none)
// returns: (none)
MATCH (n)
WHERE n:Query OR n:Value OR n:DocType
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
