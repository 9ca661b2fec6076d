"""Emit-on-change state: what is due, what survives a kill, what a complete snapshot forgets."""

from __future__ import annotations

import logging
import os
import random

from splunk_app.state import Checkpoint

HOUR = 3600.0
NAME = "mimecast_at_safe_score://prod"


def open_checkpoint(folder, full_hours=24, interval=HOUR):
    return Checkpoint(str(folder), NAME, full_hours * HOUR, interval)


def test_new_and_changed_records_are_due_unchanged_ones_are_not(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    assert checkpoint.due("a", "h1", 1000.0)
    checkpoint.commit([("a", "h1")], 1000.0)
    assert not checkpoint.due("a", "h1", 1000.0 + HOUR)
    assert checkpoint.due("a", "h2", 1000.0 + HOUR)


def test_a_record_is_due_again_before_its_last_copy_is_older_than_the_full_snapshot_period(tmp_path):
    checkpoint = open_checkpoint(tmp_path, full_hours=24, interval=HOUR)
    checkpoint.commit([("a", "h1")], 0.0)
    assert not checkpoint.due("a", "h1", 22 * HOUR)
    # At 23 h the next run (24 h) would find the copy a full period old: re-send now.
    assert checkpoint.due("a", "h1", 23 * HOUR)


def test_committed_pages_survive_a_reopen_without_finish(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.commit([("a", "h1"), ("b", "h1")], 10.0)
    checkpoint.commit([("c", "h1")], 10.0, cursor="c")
    reopened = open_checkpoint(tmp_path)
    assert len(reopened) == 3 and reopened.extra == {"cursor": "c"}
    assert not reopened.due("c", "h1", 20.0)


def test_finish_forgets_what_a_complete_snapshot_lacked(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.commit([("a", "h"), ("b", "h"), ("c", "h")], 10.0)
    checkpoint.finish(True, 10.0)
    second = open_checkpoint(tmp_path)
    assert not second.due("a", "h", 20.0)  # seen, unchanged
    second.commit([("b", "h2")], 20.0)  # seen, changed
    assert second.finish(True, 20.0) == 1  # c
    third = open_checkpoint(tmp_path)
    assert "c" not in third and "a" in third and "b" in third


def test_an_incomplete_run_forgets_nothing(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.commit([("a", "h"), ("b", "h")], 10.0)
    checkpoint.finish(True, 10.0)
    second = open_checkpoint(tmp_path)
    second.due("a", "h", 20.0)
    assert second.finish(False, 20.0) == 0
    assert "b" in open_checkpoint(tmp_path)


def test_a_record_stamped_in_the_future_is_due_so_the_full_snapshot_still_comes(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.commit([("a", "h1")], 100 * HOUR)
    # The clock stepped back ten hours: the copy looks fresh by its age, but its stamp is in the future.
    assert checkpoint.due("a", "h1", 90 * HOUR)


def test_a_damaged_checkpoint_is_set_aside_and_every_record_is_due_again(tmp_path, caplog):
    with open_checkpoint(tmp_path) as checkpoint:
        checkpoint.commit([("a", "h1"), ("b", "h1")], 10.0, cursor="b")
        checkpoint.finish(True, 10.0)
        path = checkpoint.path
    with open(path, "r+b") as file:
        file.write(b"garbled!" * 8)
    with caplog.at_level(logging.WARNING, logger="splunk_app"):
        reopened = open_checkpoint(tmp_path)
    assert len(reopened) == 0 and reopened.extra == {}
    assert reopened.due("a", "h1", 20.0) and reopened.due("b", "h1", 20.0)
    [warning] = caplog.records
    assert warning.levelname == "WARNING" and NAME in warning.getMessage() and path in warning.getMessage()
    assert "every record is sent again" in warning.getMessage()
    assert [name for name in os.listdir(tmp_path) if ".damaged-" in name]


def test_inputs_do_not_share_state(tmp_path):
    Checkpoint(str(tmp_path), "mimecast_at_watchlist://a", 24 * HOUR).commit([("x", "h")], 1.0)
    assert len(Checkpoint(str(tmp_path), "mimecast_at_watchlist://b", 24 * HOUR)) == 0


def test_the_state_agrees_with_a_plain_dict_over_many_random_runs(tmp_path):
    rng = random.Random(4)
    model: dict[str, str] = {}
    for run in range(1, 9):
        now = run * HOUR
        checkpoint = open_checkpoint(tmp_path, full_hours=1000)
        population = rng.sample(range(3000), 2000)
        page: list[tuple[str, str]] = []
        for number in population:
            key, digest = f"user{number}@x.com", f"d{number % 7 + rng.randrange(2)}"
            assert checkpoint.due(key, digest, now) == (model.get(key) != digest), key
            if model.get(key) != digest:
                page.append((key, digest))
            if len(page) == 97:
                checkpoint.commit(page, now)
                model.update(page)
                page = []
        checkpoint.commit(page, now)
        model.update(page)
        if run % 3:  # a complete snapshot: the users not in it are forgotten
            gone = set(model) - {f"user{number}@x.com" for number in population}
            assert checkpoint.finish(True, now) == len(gone)
            for key in gone:
                del model[key]
        assert len(open_checkpoint(tmp_path)) == len(model)
