"""`make demo`'s SOAR step: the app answers get user risk for two users, one given as `DOMAIN\\user`."""

from __future__ import annotations

from devkit import soar


def test_the_demo_answers_two_users_one_by_domain_user():
    lines: list[str] = []
    assert soar.demo(lines.append) == 0, "\n".join(lines)
    answers = [line for line in lines if "SAFE grade" in line]
    assert len(answers) == 2
    assert "(matched by email)" in answers[0]
    assert any(line.strip().startswith("get user risk SIMULATED\\") for line in lines)
    assert "(matched by local_part)" in answers[1]
