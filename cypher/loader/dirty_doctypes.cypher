// Doc types marked for a rebuild of their counts and co-occurrence edges.
// params: (none)
// returns: name
MATCH (d:DocType)
WHERE d.dirty = true
RETURN d.name AS name
ORDER BY name
