// Delete every node and relationship of the database, in batches (tests and `wildlong graph clear`).
// params: (none)
// returns: (none)
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
