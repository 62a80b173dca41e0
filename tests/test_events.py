"""Events backbone: outbox -> JetStream -> durable consumer -> read copies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from entraide_kit import contracts
from entraide_kit.events.consumer import ConsumerRunner, Subscription
from entraide_kit.events.envelope import DLQ_STREAM, STREAM, Envelope
from entraide_kit.events.outbox import Outbox
from entraide_kit.events.relay import OutboxRelay
from entraide_kit.events.tables import outbox
from entraide_kit.shutdown import stop_tasks
from entraide_stack.testing.probe import consumer_for
from entraide_stack.testing.stream import last_event

from .conftest import Services


async def _admin_and_users(services: Services, count: int) -> tuple[dict[str, Any], list[int]]:
    admin = await services.make_user("admin")
    ids = [(await services.make_user("trainer"))["id"] for _ in range(count)]
    return admin, ids


async def test_user_changes_reach_the_copies(services: Services) -> None:
    admin, ids = await _admin_and_users(services, 3)
    resp = await services.auth_client.patch(
        f"/api/accounts/users/{ids[0]}/", json={"first_name": "Renamed"}, headers=admin["headers"]
    )
    assert resp.status_code == 200
    resp = await services.auth_client.delete(
        f"/api/accounts/users/{ids[1]}/", headers=admin["headers"]
    )
    assert resp.status_code == 204
    await services.wait_copies_equal(timeout=30)
    copies = {row[0]: row for row in await services.copied_users()}
    assert copies[ids[0]][2] == "Renamed"
    assert ids[1] not in copies


async def test_nats_killed_during_1000_changes_loses_nothing(services: Services) -> None:
    admin, ids = await _admin_and_users(services, 20)
    failures = 0
    for i in range(1000):
        if i == 300:
            services.nats.kill()
        if i == 700:
            services.nats.start()
        resp = await services.auth_client.patch(
            f"/api/accounts/users/{ids[i % len(ids)]}/",
            json={"first_name": f"Name{i}", "city": "Rabat"},
            headers=admin["headers"],
        )
        failures += resp.status_code != 200
    assert failures == 0, "a request failed because NATS was down"
    await services.wait_copies_equal(timeout=60)
    async with services.auth.state.db.session() as s:
        pending = await s.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert pending == 0


async def test_consumer_process_killed_mid_stream_catches_up(services: Services) -> None:
    # The probe app's own consumer is stopped; a consumer in another process
    # (same durable) is killed with SIGKILL while it works, then started again.
    services.probe.state.event_tasks["consumer"].cancel()
    await services.bulk_users(600)
    argv = [
        sys.executable,
        "-m",
        "entraide_stack.testing.probe",
        "--database-url",
        services.probe.state.db.url,
        "--nats-url",
        services.nats.url,
    ]
    worker = subprocess.Popen(argv)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with services.probe.state.db.session() as s:
                applied = await s.scalar(text("SELECT count(*) FROM event_versions"))
            if applied:
                break
            await asyncio.sleep(0.02)
        worker.kill()
        worker.wait()
        assert await services.copied_users() != await services.source_users()
        worker = subprocess.Popen(argv)
        await services.wait_copies_equal(timeout=60)
    finally:
        worker.kill()
        worker.wait()


async def test_malformed_message_is_dead_lettered_and_the_rest_goes_on(services: Services) -> None:
    js = await services.probe.state.nats.ready()
    await js.publish("entraide.auth.user.9999", b"{this is not an event")
    await js.publish(
        "entraide.auth.user.9998", orjson.dumps({"subject": "entraide.auth.user.9998"})
    )
    await _admin_and_users(services, 2)
    await services.wait_copies_equal(timeout=30)
    deadline = time.monotonic() + 30
    while True:
        info = await js.stream_info(DLQ_STREAM)
        if info.state.messages >= 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert info.state.messages == 2
    dead = await js.get_last_msg(DLQ_STREAM, "entraide_dlq.probe.entraide.auth.user.9999")
    assert dead.data == b"{this is not an event"
    assert dead.headers and "malformed" in dead.headers["Entraide-Reason"]


async def test_an_event_not_matching_its_contract_is_dead_lettered_with_the_reason(
    services: Services,
) -> None:
    js = await services.probe.state.nats.ready()
    drifted = Envelope(
        subject="entraide.auth.user.9997",
        producer="auth",
        entity="user",
        id=9997,
        op="upsert",
        version=1,
        # "email" renamed "mail": the copy would have read an empty address
        data={"id": 9997, "mail": "x@entraide.ma", "role": "student", "is_active": True},
    )
    await js.publish(drifted.subject, drifted.model_dump_json().encode())
    subject = "entraide_dlq.probe.entraide.auth.user.9997"
    dead = await last_event(js, subject, stream=DLQ_STREAM)
    reason = (dead.headers or {})["Entraide-Reason"]
    assert "does not match its contract" in reason and "mail" in reason and "email" in reason
    async with services.probe.state.db.session() as s:
        kept = await s.scalar(
            text("SELECT count(*) FROM event_versions WHERE subject = :s"),
            {"s": drifted.subject},
        )
    assert kept == 0


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_bounded_retries(
    services: Services,
) -> None:
    attempts: list[int] = []

    async def broken(session: Any, envelope: Envelope) -> None:
        attempts.append(envelope.version)
        raise RuntimeError("this handler always fails")

    async def fine(session: Any, envelope: Envelope) -> None:
        attempts.append(-envelope.version)

    runner = ConsumerRunner(
        service="probe",
        db=services.probe.state.db,
        nats=services.probe.state.nats,
        subscriptions=[
            Subscription("entraide.test.broken.*", broken),
            Subscription("entraide.test.fine.*", fine),
        ],
        durable="retry-test",
        max_deliver=3,
        retry_base_delay=0.05,
    )
    task = asyncio.create_task(runner.run())
    try:
        outbox_writer = Outbox("test")
        async with services.probe.state.db.session() as s, s.begin():
            await outbox_writer.add(
                s,
                [
                    outbox_writer.envelope("broken", 1, 1, {}, "upsert"),
                    outbox_writer.envelope("fine", 1, 7, {}, "upsert"),
                ],
            )
        deadline = time.monotonic() + 60
        while runner.dead_lettered < 1 or -7 not in attempts:
            assert time.monotonic() < deadline, attempts
            await asyncio.sleep(0.05)
    finally:
        # stopped before the next test (they share the event loop)
        assert await stop_tasks([task], 10, what="retry-test consumer")
    assert attempts.count(1) == 3  # tried max_deliver times, never more
    js = await services.probe.state.nats.ready()
    dead = await js.get_last_msg(DLQ_STREAM, "entraide_dlq.probe.entraide.test.broken.1")
    assert dead.headers and "failed 3 times" in dead.headers["Entraide-Reason"]


async def test_rebuild_restores_wiped_copies(services: Services) -> None:
    admin, ids = await _admin_and_users(services, 5)
    await services.auth_client.delete(f"/api/accounts/users/{ids[0]}/", headers=admin["headers"])
    await services.auth_client.patch(
        f"/api/accounts/users/{ids[1]}/", json={"role": "student"}, headers=admin["headers"]
    )
    await services.wait_copies_equal(timeout=30)
    before = await services.copied_users()
    async with services.probe.state.db.session() as s, s.begin():
        await s.execute(text("DELETE FROM user_copies"))
    assert await services.copied_users() == []
    runner: ConsumerRunner = consumer_for(services.probe.state.db, services.probe.state.nats)
    replayed = await runner.rebuild()
    assert replayed >= len(before)
    assert await services.copied_users() == before


async def test_deactivated_token_is_refused_by_a_second_service_within_2s(
    services: Services,
) -> None:
    admin = await services.make_user("admin")
    user = await services.make_user("trainer")
    resp = await services.probe_client.get("/api/probe/whoami/", headers=user["headers"])
    assert resp.status_code == 200
    await services.wait_copies_equal(timeout=30)
    resp = await services.auth_client.patch(
        f"/api/accounts/users/{user['id']}/", json={"is_active": False}, headers=admin["headers"]
    )
    assert resp.status_code == 200
    started = time.monotonic()
    while True:
        resp = await services.probe_client.get("/api/probe/whoami/", headers=user["headers"])
        if resp.status_code == 401:
            break
        assert time.monotonic() - started < 2.0, "token still accepted after 2 s"
        await asyncio.sleep(0.05)
    assert resp.json()["code"] == "token_not_valid"


async def test_logout_revokes_access_tokens_in_other_services(services: Services) -> None:
    user = await services.make_user("student", password="Sahara-Atlas-2024")
    tokens = (
        await services.auth_client.post(
            "/api/token/", json={"email": user["email"], "password": "Sahara-Atlas-2024"}
        )
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    assert (
        await services.probe_client.get("/api/probe/whoami/", headers=headers)
    ).status_code == 200
    resp = await services.auth_client.post(
        "/api/accounts/users/logout/", json={"refresh": tokens["refresh"]}, headers=headers
    )
    assert resp.status_code == 200
    started = time.monotonic()
    while (
        await services.probe_client.get("/api/probe/whoami/", headers=headers)
    ).status_code != 401:
        assert time.monotonic() - started < 2.0
        await asyncio.sleep(0.05)


def _user_payload(user_id: int) -> dict[str, Any]:
    """A whole auth user payload (the outbox takes only what matches its contract)."""
    fields = dict.fromkeys(contracts.User.model_fields)
    return fields | {
        "id": user_id,
        "email": f"relay{user_id}@e.ma",
        "role": "trainer",
        "is_active": True,
        "token_version": 0,
    }


async def test_concurrent_relays_keep_each_subject_in_order(services: Services) -> None:
    """Several replicas relay at once; the stream's last message per subject is the newest."""
    services.auth.state.event_tasks["relay"].cancel()
    outbox_writer = Outbox("auth")
    async with services.auth.state.db.session() as s, s.begin():
        envelopes = [
            outbox_writer.envelope(
                "user", 1000 + i % 20, 1 + i // 20, _user_payload(1000 + i % 20), "upsert"
            )
            for i in range(600)
        ]
        await outbox_writer.add(s, envelopes)
    relays = [
        OutboxRelay(db=services.auth.state.db, nats=services.auth.state.nats, batch_size=7)
        for _ in range(3)
    ]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.publish_batch():
            pass

    await asyncio.gather(*(drain(r) for r in relays))
    assert sum(r.published for r in relays) == 600
    assert all(r.published for r in relays), "every replica took part"
    js = await services.auth.state.nats.ready()
    for user_id in range(1000, 1020):
        last = await js.get_last_msg(STREAM, f"entraide.auth.user.{user_id}")
        assert orjson.loads(last.data)["version"] == 30


async def test_a_failed_publish_leaves_its_row_pending_and_marks_the_others(
    services: Services,
) -> None:
    """A batch's publishes go out together; one refused (no stream takes its subject)
    stays pending, the acknowledged ones are marked, and the relay reports the error."""
    import uuid

    services.auth.state.event_tasks["relay"].cancel()
    db = services.auth.state.db
    outbox_writer = Outbox("auth")
    async with db.session() as s, s.begin():
        await s.execute(text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL"))
        await outbox_writer.add(
            s,
            [
                outbox_writer.envelope("user", 2000 + i, 1, _user_payload(2000 + i), "upsert")
                for i in range(5)
            ],
        )
        await s.execute(
            outbox.insert().values(
                event_id=uuid.uuid4().hex, subject="unrouted.nowhere", payload={"n": -1}
            )
        )
    relay = OutboxRelay(db=db, nats=services.auth.state.nats)
    raised = None
    try:
        await relay.publish_batch()
    except Exception as exc:
        raised = exc
    assert raised is not None
    assert relay.published == 5
    async with db.session() as s:
        pending = (
            (await s.execute(select(outbox.c.subject).where(outbox.c.published_at.is_(None))))
            .scalars()
            .all()
        )
        await s.execute(outbox.delete().where(outbox.c.subject == "unrouted.nowhere"))
        await s.commit()
    assert pending == ["unrouted.nowhere"]


# Duplicated and reordered deliveries leave the copies equal to the source.
events_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from(["upsert", "upsert", "upsert", "delete"])),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=events_strategy, data=st.data())
async def test_duplicates_and_reordering_are_harmless(
    services: Services, history: list[tuple[int, str]], data: st.DataObject
) -> None:
    # The source: each record's versions in order; its final state is the truth.
    versions: dict[int, int] = {}
    envelopes = []
    for user_id, op in history:
        versions[user_id] = versions.get(user_id, 0) + 1
        payload = None
        if op == "upsert":
            payload = {
                "id": user_id,
                "email": f"u{user_id}@e.ma",
                "first_name": f"v{versions[user_id]}",
                "last_name": "",
                "role": "trainer",
                "is_active": True,
                "token_version": 0,
            }
        envelopes.append(
            Envelope(
                subject=f"entraide.auth.user.{user_id}",
                producer="auth",
                entity="user",
                id=user_id,
                op=op,  # type: ignore[arg-type]
                version=versions[user_id],
                data=payload,
            )
        )
    final: dict[int, Envelope] = {}
    for env in envelopes:
        final[int(env.id)] = env
    expected = sorted(
        (uid, env.data["first_name"])
        for uid, env in final.items()
        if env.op == "upsert" and env.data
    )

    deliveries = data.draw(
        st.permutations(envelopes + data.draw(st.lists(st.sampled_from(envelopes), max_size=10)))
    )
    db = services.probe.state.db
    async with db.session() as s, s.begin():
        await s.execute(text("TRUNCATE user_copies, event_versions"))
    runner = consumer_for(db, services.probe.state.nats)
    for env in deliveries:
        await runner.apply(env)
    async with db.session() as s:
        rows = await s.execute(text("SELECT id, first_name FROM user_copies ORDER BY id"))
        assert sorted(tuple(r) for r in rows) == expected
