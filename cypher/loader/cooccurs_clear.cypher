// Delete the CO_OCCURS edges of one doc type before they are rebuilt from the HAS facts.
// params: $doc_type
// returns: (none)
MATCH (:Value {doc_type: $doc_type})-[r:CO_OCCURS]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
