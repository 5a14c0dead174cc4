// Doc types with their sizes (queries) and how many values they hold; walks are spread over them.
// params: (none)
// returns: name, size, values
MATCH (d:DocType)
OPTIONAL MATCH (v:Value)-[:IN_TYPE]->(d)
RETURN d.name AS name, d.size AS size, count(v) AS values
ORDER BY name
