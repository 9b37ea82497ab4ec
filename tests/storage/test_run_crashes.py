"""Closing runs whose process died: by process id on this host, by heartbeat elsewhere, by flow run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from storage.errors import InvalidValueError
from storage.models import Run
from storage.runs import end_flow_run, heartbeat, mark_crashed_runs, start_run

T0 = datetime(2024, 11, 27, 0, 0, tzinfo=UTC)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _status(session, run_id):
    return session.get(Run, run_id).status


def test_a_run_whose_process_is_gone_is_marked_crashed(session):
    gone = start_run(session, now=T0)
    alive = start_run(session, now=T0)
    session.execute(update(Run).where(Run.id == gone).values(pid=_dead_pid()))
    run = session.get(Run, alive)
    assert run.host == socket.gethostname() and run.pid == os.getpid() and run.heartbeat_at == T0
    crashed = mark_crashed_runs(session, stale_after=timedelta(hours=2), now=T0 + timedelta(minutes=5))
    session.expire_all()
    assert crashed == [gone]
    assert _status(session, gone) == "crashed" and _status(session, alive) == "running"
    assert "ended without finishing" in session.get(Run, gone).error
    assert session.get(Run, gone).finished_at == T0 + timedelta(minutes=5)


def test_a_run_on_another_host_is_crashed_only_after_its_heartbeat_goes_stale(session):
    remote = start_run(session, now=T0)
    session.execute(update(Run).where(Run.id == remote).values(host="worker-7", pid=1))
    heartbeat(session, remote, now=T0 + timedelta(hours=1))
    stale = timedelta(hours=2)
    assert mark_crashed_runs(session, stale_after=stale, now=T0 + timedelta(hours=2, minutes=59)) == []
    assert mark_crashed_runs(session, stale_after=stale, now=T0 + timedelta(hours=3, minutes=1)) == [remote]
    session.expire_all()
    assert "no heartbeat since" in session.get(Run, remote).error


def test_finished_runs_are_left_alone(session):
    done = start_run(session, now=T0)
    session.execute(update(Run).where(Run.id == done).values(status="completed", pid=_dead_pid()))
    assert mark_crashed_runs(session, stale_after=timedelta(seconds=1), now=T0 + timedelta(days=1)) == []
    heartbeat(session, done, now=T0 + timedelta(days=2))
    session.expire_all()
    assert session.get(Run, done).heartbeat_at == T0


def test_end_flow_run_closes_only_that_flow_runs_running_runs(session):
    mine = start_run(session, flow_run_id="fr-1", now=T0)
    other = start_run(session, flow_run_id="fr-2", now=T0)
    assert end_flow_run(session, "fr-1", status="crashed", error="killed") == [mine]
    assert end_flow_run(session, "fr-1", status="failed", error="again") == []  # already closed
    session.expire_all()
    assert _status(session, mine) == "crashed" and _status(session, other) == "running"
    assert session.scalars(select(Run.error).where(Run.id == mine)).one() == "killed"
    with pytest.raises(InvalidValueError):
        end_flow_run(session, "fr-2", status="completed", error=None)
