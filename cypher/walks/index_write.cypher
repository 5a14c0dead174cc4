// Store each value's walk index: its CO_OCCURS neighbours sorted by key, in blocks of 64 (cumulative
// edge weights, fields, keys; see synth/walk_numpy.py index_rows), computed in Python from the exported
// edges so that both samplers share them. Blocks left over from a larger index are never read.
// params: $rows
// returns: written
UNWIND $rows AS row
MATCH (v:Value {key: row.key})
SET v += row.props
REMOVE v.walk_keys, v.walk_fields, v.walk_cum
RETURN count(v) AS written
