// Indexes named like a constraint but owned by none: a crash cut the constraint's creation short.
// params: names
// returns: name
SHOW INDEXES YIELD name, owningConstraint
WHERE owningConstraint IS NULL AND name IN $names
RETURN name
