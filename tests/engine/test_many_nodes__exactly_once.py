"""Four engine processes sweep one PostgreSQL database at once: 500 timers fire and 1,000
messages are delivered, each exactly once."""
import json
import multiprocessing
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import utc_naive
from engine.commands import StartInstance
from engine.models import Delivery, Instance, Message, TaskRow
from engine.spiff.workflow import correlation_key

from ..helpers import FIXTURES, PG_URL, deploy
from .node_worker import run_node

TIMERS, MESSAGES, NODES = 500, 1000, 4


@pytest.mark.skipif(not PG_URL, reason="several nodes share a PostgreSQL database (KEDJA_TEST_DATABASE_URL)")
@pytest.mark.timeout(600)
def test_four_nodes_fire_each_timer_and_deliver_each_message_once(engine, database_url, clock):
    deploy(engine, "deadlines.bpmn", "order_requester.bpmn", "order_responder.bpmn")
    timed = [engine.execute(StartInstance("deadlines")).id for _ in range(TIMERS)]
    now = utc_naive(clock.now())
    with engine.uow() as uow:  # 1,000 messages in the outbox, each starting a responder instance
        for n in range(MESSAGES):
            uow.repo.add(Message(id=str(uuid.uuid4()), name="order_request",
                                 correlation_key=correlation_key({"order_id": f"O-{n}"}),
                                 payload=json.dumps({"order_id": f"O-{n}", "amount": n}), status="pending",
                                 created_at=now, expires_at=now + timedelta(days=400), attempts=0))
        uow.commit()

    url, schema = database_url
    moment = (clock.now() + timedelta(days=31)).isoformat()  # every timer is due for every node
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    nodes = [context.Process(target=run_node, args=(url, schema, f"node-{i}", moment, str(FIXTURES / "forms"),
                                                    240, results)) for i in range(NODES)]
    for node in nodes:
        node.start()
    for node in nodes:
        node.join(300)
    assert not any(node.is_alive() for node in nodes), "a node hung"
    reports = [results.get(timeout=5) for _ in nodes]
    assert all(fired + routed > 0 for _name, fired, routed in reports), reports  # all four took part

    with engine.session_factory() as session:
        reports_open = dict(session.execute(
            select(TaskRow.instance_id, func.count()).where(TaskRow.element_id == "report")
            .group_by(TaskRow.instance_id)).all())
        assert {reports_open.get(i) for i in timed} == {1}  # each timer fired once
        statuses = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
        assert statuses == {"started": MESSAGES}
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        assert deliveries == MESSAGES
        responders = session.scalar(select(func.count()).select_from(Instance).where(
            Instance.process_key == "responder"))
        assert responders == MESSAGES  # one instance per message, none twice
