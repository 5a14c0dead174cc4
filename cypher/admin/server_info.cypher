// Name, version and edition of the server behind the connection.
// params: (none)
// returns: name, version, edition
CALL dbms.components() YIELD name, versions, edition
RETURN name, versions[0] AS version, edition
