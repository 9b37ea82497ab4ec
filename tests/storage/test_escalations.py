"""Escalations that arrive and item assignment, on SQLite and PostgreSQL: an escalation stays open through
verdicts until the receiving organisation acknowledges or closes it; its notifications are queued per
routed channel; an assigned item can only be acted on by its owner and admins; viewing locks nothing and
an expired action lock never blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import accounts, assignments
from storage import escalation_outbox as outbox
from storage import escalations as esc
from storage import review_queue as rq
from storage.models import Escalation, NotificationDelivery, Review
from storage.repository import raise_alert, upsert_items

NOW = datetime(2024, 11, 27, 6, 0, tzinfo=UTC)


@dataclass
class World:
    items: list[int]
    orgs: dict[str, int]
    actors: dict[str, rq.Actor]


@pytest.fixture
def world(session: Session, sources, new_item) -> World:
    """Three flagged items; a newsroom (two reviewers and an admin) and Polres (a reviewer)."""
    items = []
    for n in range(3):
        item_id = upsert_items(session, sources["social"], None, [new_item(n, source="social")]).ids[0]
        raise_alert(
            session,
            kind="flagged_item",
            severity="high",
            signal="violence_threat",
            item_id=item_id,
            reason="ancaman",
            dedupe_key=f"a{n}",
            now=NOW,
        )
        items.append(item_id)
    orgs = {
        name: accounts.ensure_organisation(session, name, kind)
        for name, kind in (("Kabar Sampang", "newsroom"), ("Polres Sampang", "polres"))
    }
    people = {
        "rina": ("reviewer", "Kabar Sampang"),
        "budi": ("reviewer", "Kabar Sampang"),
        "admin": ("admin", "Kabar Sampang"),
        "polisi": ("reviewer", "Polres Sampang"),
    }
    actors = {}
    for name, (role, org) in people.items():
        uid = accounts.create_user(session, name, "x" * 20, role, orgs[org])
        actors[name] = rq.Actor(uid, name, org, role, orgs[org])
    session.commit()
    return World(items, orgs, actors)


def _queue(session: Session, **filters) -> list[int]:
    return [e.item_id for e in rq.review_queue(session, now=NOW, **filters)]


def test_escalation_stays_open_through_a_verdict_until_acknowledged(session, world):
    item, polres = world.items[0], world.orgs["Polres Sampang"]
    rina, polisi = world.actors["rina"], world.actors["polisi"]
    escalation_id = rq.escalate(session, item, rina, polres, "ancaman bakar kantor desa", now=NOW)
    rq.give_verdict(session, item, rina, "tension_no_hoax", now=NOW + timedelta(minutes=5))
    session.commit()
    assert item not in _queue(session)  # the verdict resolved its alerts
    assert _queue(session, escalated_to=polres, organisation_id=polres) == [item]
    assert rq.queue_size(session, escalated_to=polres) == 1 and esc.open_count(session, polres) == 1
    [entry] = rq.review_queue(session, escalated_to=polres, organisation_id=polres, now=NOW)
    assert entry.escalated and [(x.user_name, x.organisation) for x in entry.escalations] == [
        ("rina", "Kabar Sampang")
    ]
    assert entry.signals == ["violence_threat"]  # resolved alerts still say what it is

    with pytest.raises(esc.NotReceiverError):
        esc.resolve(
            session,
            escalation_id,
            "acknowledged",
            user="budi",
            organisation_id=world.orgs["Kabar Sampang"],
            organisation="Kabar Sampang",
            now=NOW,
        )
    view = esc.resolve(
        session,
        escalation_id,
        "acknowledged",
        user="polisi",
        organisation_id=polres,
        organisation=polisi.organisation,
        now=NOW + timedelta(hours=1),
    )
    session.commit()
    later = NOW + timedelta(hours=1)
    assert (view.status, view.resolved_by, view.resolved_at) == ("acknowledged", "polisi", later)
    assert _queue(session, escalated_to=polres) == [] and esc.open_count(session, polres) == 0
    with pytest.raises(esc.EscalationStateError):
        esc.resolve(
            session,
            escalation_id,
            "acknowledged",
            user="polisi",
            organisation_id=polres,
            organisation=polisi.organisation,
            now=NOW,
        )
    closed = esc.resolve(
        session,
        escalation_id,
        "closed",
        user="polisi",
        organisation_id=polres,
        organisation=polisi.organisation,
        note="sudah ditangani Polsek",
        now=NOW,
    )
    assert (closed.status, closed.resolution_note) == ("closed", "sudah ditangani Polsek")
    with pytest.raises(esc.EscalationStateError):
        esc.resolve(
            session,
            escalation_id,
            "closed",
            user="polisi",
            organisation_id=polres,
            organisation=polisi.organisation,
            now=NOW,
        )
    session.commit()
    trail = session.execute(
        select(Review.action, Review.user, Review.organisation)
        .where(Review.item_id == item)
        .order_by(Review.id)
    ).all()
    assert [t for t in trail if t[0].startswith("escalat")] == [
        ("escalate", "rina", "Kabar Sampang"),
        ("escalation_acknowledged", "polisi", "Polres Sampang"),
        ("escalation_closed", "polisi", "Polres Sampang"),
    ]


def test_escalation_notifications_are_queued_per_routed_channel(session, world):
    item, polres = world.items[1], world.orgs["Polres Sampang"]
    first = rq.escalate(
        session, item, world.actors["rina"], polres, channels=["telegram:-1", "telegram:-1"], now=NOW
    )
    session.commit()
    rows = session.execute(
        select(
            NotificationDelivery.escalation_id,
            NotificationDelivery.alert_id,
            NotificationDelivery.channel,
            NotificationDelivery.status,
        )
    ).all()
    assert rows == [(first, None, "telegram:-1", "pending")]
    # the dispatcher's pass: only channels routed to Polres, only young open escalations, never twice
    assert esc.enqueue_open(session, "webhook:bawaslu", ["Bawaslu Sampang"], since=NOW, now=NOW) == 0
    assert esc.enqueue_open(session, "webhook:all", None, since=NOW + timedelta(seconds=1), now=NOW) == 0
    assert esc.enqueue_open(session, "webhook:polres", ["Polres Sampang"], since=NOW, now=NOW) == 1
    assert esc.enqueue_open(session, "telegram:-1", None, since=NOW, now=NOW) == 0
    session.commit()
    [claimed] = outbox.claim_batch(session, "webhook:polres", 10)
    assert (claimed.escalation_id, claimed.to_organisation, claimed.from_user, claimed.item_id) == (
        first,
        "Polres Sampang",
        "rina",
        item,
    )
    assert claimed.attempts == 1 and claimed.batch_id
    session.commit()
    again = outbox.claim_batch(session, "webhook:polres", 10)  # interrupted: the same batch, again
    assert [(p.delivery_id, p.batch_id, p.attempts) for p in again] == [
        (claimed.delivery_id, claimed.batch_id, 2)
    ]
    # acknowledged before the chat got it: dropped, not sent
    esc.resolve(
        session,
        first,
        "acknowledged",
        user="polisi",
        organisation_id=polres,
        organisation="Polres Sampang",
        now=NOW,
    )
    assert outbox.claim_batch(session, "telegram:-1", 10) == []
    assert not outbox.has_pending(session, "telegram:-1")
    session.commit()
    status = session.execute(
        select(NotificationDelivery.status).where(NotificationDelivery.channel == "telegram:-1")
    ).scalar_one()
    assert status == "dropped"


def test_viewing_locks_nothing_and_expired_locks_never_block(session, world):
    rina, budi = world.actors["rina"], world.actors["budi"]
    for item in world.items:
        rq.item_detail(session, item, now=NOW)
    rq.add_note(session, world.items[0], rina, "saya cek", now=NOW)
    session.commit()
    with pytest.raises(rq.ItemLockedError) as err:
        rq.add_note(session, world.items[0], budi, "saya juga", now=NOW + timedelta(minutes=14))
    assert err.value.holder == "rina"
    session.rollback()
    rq.add_note(session, world.items[0], budi, "saya juga", now=NOW + rq.LOCK_TTL + timedelta(seconds=1))
    for item in world.items[1:]:  # only viewed: free
        rq.add_note(session, item, budi, "catatan", now=NOW)
    session.commit()


def test_assignment_owner_admin_and_release(session, world):
    item = world.items[2]
    rina, budi, admin, polisi = (world.actors[n] for n in ("rina", "budi", "admin", "polisi"))
    owner = rq.assign(session, item, rina, now=NOW)  # "ambil"
    session.commit()
    assert (owner.username, owner.assigned_by) == ("rina", "rina")
    assert _queue(session, assigned_to=rina.user_id) == [item]
    assert _queue(session, assigned_to=budi.user_id) == []
    assert next(e for e in rq.review_queue(session, now=NOW) if e.item_id == item).owner == "rina"
    for act in (
        lambda: rq.add_note(session, item, budi, "x", now=NOW),
        lambda: rq.give_verdict(session, item, budi, "hoax", now=NOW),
        lambda: rq.assign(session, item, budi, now=NOW),
        lambda: rq.release(session, item, budi, now=NOW),
    ):
        with pytest.raises(assignments.ItemAssignedError) as err:
            act()
        assert err.value.owner == "rina"
        session.rollback()
    with pytest.raises(assignments.AssignmentRefusedError):  # reviewers assign within their organisation
        rq.assign(session, item, rina, polisi.user_id, now=NOW)
    session.rollback()
    assert rq.assign(session, item, rina, budi.user_id, now=NOW).username == "budi"  # "tugaskan ke"
    rq.add_note(session, item, budi, "saya ambil alih", now=NOW)
    rq.add_note(session, item, admin, "admin boleh", now=NOW + timedelta(minutes=1))  # takes the lock over
    assert rq.assign(session, item, admin, polisi.user_id, now=NOW).username == "polisi"  # admins: anyone
    assert rq.release(session, item, admin, now=NOW) is True
    assert rq.item_detail(session, item, now=NOW).owner is None
    rq.assign(session, item, budi, now=NOW)
    assert rq.release(session, item, budi, now=NOW) is True  # the owner lets go
    rq.assign(session, item, budi, now=NOW)
    rq.give_verdict(session, item, budi, "hoax", now=NOW)  # deciding ends the assignment
    session.commit()
    assert assignments.owner_of(session, item) is None
    assert rq.item_detail(session, item, now=NOW).lock_holder is None
    actions = session.scalars(select(Review.action).where(Review.item_id == item).order_by(Review.id)).all()
    assert actions.count("assign") == 5 and actions.count("release") == 2


def test_acknowledging_twice_at_once_has_one_winner(session, world, engine):
    polres = world.orgs["Polres Sampang"]
    escalation_id = rq.escalate(session, world.items[0], world.actors["rina"], polres, now=NOW)
    session.commit()
    with Session(engine) as other:
        esc.resolve(
            other,
            escalation_id,
            "acknowledged",
            user="polisi",
            organisation_id=polres,
            organisation="Polres Sampang",
            now=NOW,
        )
        other.commit()
    with pytest.raises(esc.EscalationStateError) as err:
        esc.resolve(
            session,
            escalation_id,
            "acknowledged",
            user="polisi",
            organisation_id=polres,
            organisation="Polres Sampang",
            now=NOW,
        )
    assert err.value.status == "acknowledged"
    assert session.get(Escalation, escalation_id).resolved_by == "polisi"
