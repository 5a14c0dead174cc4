// Wait until every index is online (at most 300 s).
// params: (none)
// returns: (none)
CALL db.awaitIndexes(300)
