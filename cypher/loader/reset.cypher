// Second half of a reset: delete every node the loader writes (Query, Value, DocType), in batches; run
// after reset_relationships, so that no transaction has to detach a dense node.
// params: (none)
// returns: (none)
MATCH (n)
WHERE n:Query OR n:Value OR n:DocType
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
