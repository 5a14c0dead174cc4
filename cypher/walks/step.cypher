// One step of every walk in flight, by rejection: each walk brings up to eight seeded draws; a draw
// picks a neighbour in proportion to edge weight by binary search over the node's cumulative weights
// (the walk index), and is kept when that neighbour's field is not yet on the path. Draws are tried in
// order and the first kept one wins (later draws are not computed); the search takes ceil(log2(degree))
// halvings. With $uniform a draw picks a neighbour uniformly. `pick` is null when every draw fell on a
// field already on the path (then step_exact decides; also when the node has no index yet) and the walk
// is absent when the node has no neighbour at all (dead end).
// params: $walks, $uniform
// returns: walk, key, field, value, weight, pick
UNWIND $walks AS w
MATCH (cur:Value {key: w.key})
WITH w, cur, cur.walk_cum AS cum, cur.walk_fields AS fs
WHERE cum IS NULL OR size(cum) > 0
WITH w, cur, cum, fs,
     CASE WHEN cum IS NULL THEN 0 ELSE toInteger(ceil(log(size(cum)) / log(2))) END AS depth
WITH w, cur, cum, reduce(p = null, u IN CASE WHEN cum IS NULL THEN [] ELSE w.us END |
  CASE WHEN p IS NOT NULL THEN p ELSE
    [i IN [CASE WHEN $uniform THEN toInteger(floor(u * size(cum))) ELSE
      reduce(b = [0, size(cum) - 1], _ IN range(1, depth) |
        CASE
          WHEN b[0] >= b[1] THEN b
          WHEN cum[(b[0] + b[1]) / 2] > u * cum[-1] THEN [b[0], (b[0] + b[1]) / 2]
          ELSE [(b[0] + b[1]) / 2 + 1, b[1]]
        END)[0]
    END] | CASE WHEN NOT fs[i] IN w.fields THEN i END][0]
  END) AS pick
OPTIONAL MATCH (nb:Value {key: cur.walk_keys[pick]})
RETURN w.id AS walk, nb.key AS key, nb.field AS field, nb.value AS value,
       CASE WHEN pick IS NULL THEN null WHEN $uniform THEN 1.0
            WHEN pick = 0 THEN cum[0] ELSE cum[pick] - cum[pick - 1] END AS weight, pick
