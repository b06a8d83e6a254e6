"""Auto-import: new ERP actors of a mapping with *auto-import* on become CRM records with links.

Off by default (reference §5.2 ignores unlinked actors; peers ask for it). It is Import from ERP
with the action *add* and no duplicate matching, run by the pull on the actors it did not know:
a person is imported only under its parent's link in the same connection, values that cannot be
translated are left empty with a warning, and whatever is not imported is logged with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from erpsync.crm.db import begin_write
from erpsync.crm.texts import _, is_message
from erpsync.hub.models import ErpActorTypeMapping, ErpConnection
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log
from erpsync.protocol import ErpActor

from .importing import ALREADY_LINKED, create_from_actors
from .plan import ConnectionPlan, TypePlan

__all__ = ["import_new_actors"]


def import_new_actors(hub: Hub, plan: ConnectionPlan, tp: TypePlan, actors: Sequence[ErpActor]) -> int:
    """Create a record and a link for each actor not linked yet; the number created."""
    with hub.sessions() as session:
        begin_write(session)
        connection = session.get(ErpConnection, plan.id)
        mapping = session.get(ErpActorTypeMapping, tp.mapping_id)
        if connection is None or mapping is None:
            return 0
        result = create_from_actors(session, connection, mapping, tp.fields, actors)
        log = list(result.log)
        log += [
            LogEntry(
                connection_id=plan.id,
                kind="warning",
                erp_actor_type=tp.erp_actor_type,
                erp_key=erp_key,
                message=_("Not imported: %(reason)s.", reason=reason),
            )
            for erp_key, reason in result.skipped
            if not is_message(reason, ALREADY_LINKED)
        ]
        write_log(session, log)
        session.commit()
    return len(result.links)
