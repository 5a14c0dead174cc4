// Record the fingerprint the doc type's walk index was built from.
// params: $doc_type, $signature
// returns: (none)
MATCH (d:DocType {name: $doc_type})
SET d.walk_index = $signature
