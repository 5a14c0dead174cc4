// Create or update the doc types of a doc-type model (their sizes are set when the load finishes).
// params: $rows
// returns: (none)
UNWIND $rows AS row
MERGE (d:DocType {name: row.name})
SET d.k_index = row.k_index, d.model_id = row.model_id, d.size = coalesce(d.size, 0)
