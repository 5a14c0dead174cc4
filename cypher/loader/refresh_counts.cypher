// Value.count = the number of distinct queries having the value (HAS facts are unique per query).
// params: $doc_type
// returns: values
MATCH (v:Value {doc_type: $doc_type})
SET v.count = COUNT { (v)<-[:HAS]-(:Query) }
RETURN count(v) AS values
