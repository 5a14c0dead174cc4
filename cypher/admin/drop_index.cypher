// Drop one index by name (an orphan a crashed constraint creation left behind).
// params: name
// returns: (none)
DROP INDEX $name IF EXISTS
