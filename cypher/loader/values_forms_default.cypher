// Before the merged forms are written: every value's forms are itself, with its count in its doc type.
// params: $batch
// returns: (none)
MATCH (v:Value)
CALL (v) {
  SET v.forms = [v.value], v.form_counts = [v.count]
} IN TRANSACTIONS OF $batch ROWS
