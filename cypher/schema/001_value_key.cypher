// One (:Value) per doc type, field and normalised value.
// params: (none)
// returns: (none)
CREATE CONSTRAINT value_key IF NOT EXISTS
FOR (v:Value) REQUIRE (v.doc_type, v.field, v.value) IS UNIQUE
