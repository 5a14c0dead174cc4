// Every surface form behind a canonical value, with its count over the run (the canonical stage's
// report), on the value's node in each doc type that has it. Values not in $rows keep one form: themselves.
// params: $rows, $doc_types
// returns: updated
UNWIND $rows AS row
UNWIND $doc_types AS doc_type
MATCH (v:Value {doc_type: doc_type, field: row.field, value: row.value})
SET v.forms = row.forms, v.form_counts = row.form_counts
RETURN count(v) AS updated
