// Value.key (the first 16 hex of sha1(doc_type, field, value)) is the stable node id walks and dataset
// provenance use; unique, and indexed for the load's and the walk's lookups.
// params: (none)
// returns: (none)
CREATE CONSTRAINT value_key_id IF NOT EXISTS
FOR (v:Value) REQUIRE v.key IS UNIQUE
