// First half of a reset: delete the loader's relationships in batches (a dense value holds thousands,
// too many for one transaction when its node is deleted with DETACH).
// params: (none)
// returns: (none)
MATCH ()-[r:HAS|OF_TYPE|IN_TYPE|CO_OCCURS]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
