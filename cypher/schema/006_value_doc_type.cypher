// The values of one doc type, whatever their field (a composite index serves only full-key lookups well).
// params: (none)
// returns: (none)
CREATE INDEX value_doc_type IF NOT EXISTS
FOR (v:Value) ON (v.doc_type)
