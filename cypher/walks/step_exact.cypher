// The exact step for walks whose draws all fell on fields already on the path: gather the neighbours
// whose field is not yet on the path, ordered by key, and pick the first whose cumulative weight exceeds
// u * total (with $uniform every candidate weighs 1). No row for a walk means a dead end.
// params: $walks, $uniform
// returns: walk, key, field, value, weight
UNWIND $walks AS w
MATCH (cur:Value {key: w.key})
WITH w, COLLECT {
  MATCH (cur)-[r:CO_OCCURS]-(nb:Value)
  WHERE NOT nb.field IN w.fields
  RETURN [nb.key, CASE WHEN $uniform THEN 1.0 ELSE toFloat(r.weight) END] AS c
  ORDER BY nb.key
} AS cands
WHERE size(cands) > 0
WITH w, cands, w.u * reduce(s = 0.0, c IN cands | s + c[1]) AS target
WITH w, cands,
     reduce(acc = [0.0, -1], i IN range(0, size(cands) - 1) |
       CASE
         WHEN acc[1] >= 0 THEN acc
         WHEN acc[0] + cands[i][1] > target THEN [acc[0] + cands[i][1], i]
         ELSE [acc[0] + cands[i][1], -1]
       END) AS acc
WITH w, cands, CASE WHEN acc[1] < 0 THEN size(cands) - 1 ELSE acc[1] END AS pick
MATCH (nb:Value {key: cands[pick][0]})
RETURN w.id AS walk, nb.key AS key, nb.field AS field, nb.value AS value, cands[pick][1] AS weight
