// Tie each value of a batch to its doc type (a statement of its own: no Eager between two MERGEs).
// params: $rows
// returns: (none)
UNWIND $rows AS row
MATCH (v:Value {key: row.key})
MATCH (d:DocType {name: row.doc_type})
MERGE (v)-[:IN_TYPE]->(d)
