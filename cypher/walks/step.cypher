// One step of every walk in flight. Each walk gives its current node key, the fields already on its
// path and a seeded uniform draw u in [0, 1). Candidates are the CO_OCCURS neighbours whose field is
// not yet on the path, ordered by key; the pick is the first candidate whose cumulative weight exceeds
// u * total. With $uniform every candidate weighs 1. Walks with no candidate return no row (dead end).
// params: $walks, $uniform
// returns: walk, key, field, value, weight, candidates
UNWIND $walks AS w
MATCH (cur:Value {key: w.key})-[r:CO_OCCURS]-(nb:Value)
WHERE NOT nb.field IN w.fields
WITH w, nb, CASE WHEN $uniform THEN 1.0 ELSE toFloat(r.weight) END AS wt
ORDER BY w.id, nb.key
WITH w, collect({key: nb.key, field: nb.field, value: nb.value, weight: wt}) AS cands, sum(wt) AS total
WITH w, cands, w.u * total AS target
WITH w, cands,
     reduce(acc = {s: 0.0, pick: -1}, i IN range(0, size(cands) - 1) |
       CASE
         WHEN acc.pick >= 0 THEN acc
         WHEN acc.s + cands[i].weight > target THEN {s: acc.s + cands[i].weight, pick: i}
         ELSE {s: acc.s + cands[i].weight, pick: -1}
       END) AS acc
WITH w, cands, CASE WHEN acc.pick < 0 THEN size(cands) - 1 ELSE acc.pick END AS pick
RETURN w.id AS walk, cands[pick].key AS key, cands[pick].field AS field, cands[pick].value AS value,
       cands[pick].weight AS weight, size(cands) AS candidates
