"""Bolt reachability and the driver options every connection uses (the managed server and ``graph``).

Below both :mod:`wildlong.neo4j_server.server` (waiting for start-up) and :mod:`wildlong.graph` (opening
the run's driver), so that neither imports the other for it.
"""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable

# Server notifications (unknown property names in EXPLAIN and the like) stay out of users' terminals.
DRIVER_CONFIG: dict[str, Any] = {
    "warn_notification_severity": neo4j.NotificationMinimumSeverity.OFF,
    "notifications_min_severity": neo4j.NotificationMinimumSeverity.OFF,
}


def bolt_reachable(uri: str, auth: tuple[str, str]) -> bool:
    """True when a driver can connect and authenticate (used while waiting for start-up)."""
    try:
        with neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=2.0, **DRIVER_CONFIG) as driver:
            driver.verify_connectivity()
        return True
    except (ServiceUnavailable, OSError, DriverError, Neo4jError):
        return False
