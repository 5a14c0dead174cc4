// One (:DocType) per document-type cluster name.
// params: (none)
// returns: (none)
CREATE CONSTRAINT doctype_name IF NOT EXISTS
FOR (d:DocType) REQUIRE d.name IS UNIQUE
