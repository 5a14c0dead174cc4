// Create the values of one batch, keyed by Value.key (counts come when the load ends).
// params: $rows
// returns: (none)
UNWIND $rows AS row
MERGE (v:Value {key: row.key})
  ON CREATE SET v.doc_type = row.doc_type, v.field = row.field, v.value = row.value, v.count = 0
