// Store each value's walk index: its CO_OCCURS neighbours sorted by key, their fields and the
// cumulative edge weights (computed in Python from the exported edges, so both samplers share them).
// params: $rows
// returns: written
UNWIND $rows AS row
MATCH (v:Value {key: row.key})
SET v.walk_keys = row.keys, v.walk_fields = row.fields, v.walk_cum = row.cum
RETURN count(v) AS written
