"""A run that ends well but is not a whole snapshot says why, in the input's log, beside its summary."""

from __future__ import annotations


def test_a_training_run_over_part_of_its_users_says_how_many_and_what_comes_next(splunkd):
    users = ",".join(f"user{number}@simulated.example" for number in range(5))

    result = splunkd.run("mimecast_at_training", users=users, max_users_per_run="2")

    assert result.returncode == 0, result.stderr
    log = splunkd.log("training")
    (summary,) = [line for line in log if "mc_summary=input" in line]
    assert "outcome=partial" in summary
    (why,) = [line for line in log if ": partial: " in line]
    assert " INFO " in why
    assert (
        "this run pulled 2 of the 5 users (max_users_per_run 2); the next runs take the others in turn" in why
    )
