// Create the values of one batch (keyed by Value.key) and tie each to its doc type; counts come later.
// params: $rows
// returns: (none)
UNWIND $rows AS row
MERGE (v:Value {key: row.key})
  ON CREATE SET v.doc_type = row.doc_type, v.field = row.field, v.value = row.value, v.count = 0
WITH v, row
MATCH (d:DocType {name: row.doc_type})
MERGE (v)-[:IN_TYPE]->(d)
