// The values of one doc type (and field): co-occurrence builds, walk starts and analytics select by them.
// params: (none)
// returns: (none)
CREATE INDEX value_doc_type_field IF NOT EXISTS
FOR (v:Value) ON (v.doc_type, v.field)
