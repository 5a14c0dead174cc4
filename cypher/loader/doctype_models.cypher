// The doc-type models the graph was loaded with (one, unless something is wrong).
// params: (none)
// returns: model_id, doc_types
MATCH (d:DocType)
RETURN d.model_id AS model_id, count(d) AS doc_types
ORDER BY model_id
