// One step of every walk in flight, by rejection: each walk brings up to eight seeded draws; a draw
// picks a neighbour in proportion to edge weight by binary search over the node's cumulative weights
// (the walk index: `walk_bmax` finds the block of 64, then a search inside it), and is kept when that
// neighbour's field is not yet on the path. Draws are tried in order and the first kept one wins (later
// draws are not computed). With $uniform a draw picks a neighbour uniformly. `pick` (the neighbour's
// position) is null when every draw fell on a field already on the path (then step_exact decides; also
// when the node has no index yet), and the walk is absent when the node has no neighbour (dead end).
// params: $walks, $uniform
// returns: walk, key, field, value, weight, pick
UNWIND $walks AS w
MATCH (cur:Value {key: w.key})
WITH w, cur, cur.walk_bmax AS bm
WHERE bm IS NULL OR size(bm) > 0
WITH w, cur, bm, CASE WHEN bm IS NULL THEN 0 ELSE toInteger(ceil(log(size(bm)) / log(2))) END AS depth
WITH w, cur, bm, reduce(p = null, u IN CASE WHEN bm IS NULL THEN [] ELSE w.us END |
  CASE WHEN p IS NOT NULL THEN p ELSE
    [g IN [CASE WHEN $uniform THEN toInteger(floor(u * cur.walk_deg)) ELSE
      [b IN [reduce(x = [0, size(bm) - 1], _ IN range(1, depth) |
          CASE
            WHEN x[0] >= x[1] THEN x
            WHEN bm[(x[0] + x[1]) / 2] > u * bm[-1] THEN [x[0], (x[0] + x[1]) / 2]
            ELSE [(x[0] + x[1]) / 2 + 1, x[1]]
          END)[0]] |
        [c IN [cur['walk_c' + toString(b)]] |
          b * 64 + reduce(x = [0, size(c) - 1], _ IN range(1, 6) |
            CASE
              WHEN x[0] >= x[1] THEN x
              WHEN c[(x[0] + x[1]) / 2] > u * bm[-1] THEN [x[0], (x[0] + x[1]) / 2]
              ELSE [(x[0] + x[1]) / 2 + 1, x[1]]
            END)[0]][0]][0]
    END] | CASE WHEN NOT cur['walk_f' + toString(g / 64)][g % 64] IN w.fields THEN g END][0]
  END) AS pick
WITH w, cur, bm, pick, pick / 64 AS pb, pick % 64 AS pj
WITH w, bm, pick, pb, pj,
     CASE WHEN pick IS NULL THEN null ELSE cur['walk_c' + toString(pb)] END AS pc,
     CASE WHEN pick IS NULL THEN null ELSE cur['walk_k' + toString(pb)][pj] END AS nb_key
OPTIONAL MATCH (nb:Value {key: nb_key})
RETURN w.id AS walk, nb.key AS key, nb.field AS field, nb.value AS value,
       CASE WHEN pick IS NULL THEN null WHEN $uniform THEN 1.0
            ELSE pc[pj] - CASE WHEN pj > 0 THEN pc[pj - 1] WHEN pb > 0 THEN bm[pb - 1] ELSE 0.0 END
       END AS weight, pick
