// Mark doc types whose facts changed: their counts and CO_OCCURS edges are rebuilt when the load ends
// (a load that stops half-way leaves the mark, so the next one still rebuilds them).
// params: $names
// returns: (none)
UNWIND $names AS name
MATCH (d:DocType {name: name})
SET d.dirty = true
