// DocType.size = the queries of each doc type; the rebuild marks are cleared.
// params: (none)
// returns: (none)
MATCH (d:DocType)
SET d.size = COUNT { (d)<-[:OF_TYPE]-(:Query) }
REMOVE d.dirty
