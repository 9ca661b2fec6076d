from __future__ import annotations

import logging
import uuid

import pytest

from splunk_app.splunk import logs


@pytest.fixture
def component():
    name = f"test_{uuid.uuid4().hex[:8]}"
    library = logging.getLogger(logs.LIBRARY)
    kept, level = list(library.handlers), library.level
    for handler in kept:
        library.removeHandler(handler)
    yield name
    for logger in (logging.getLogger(f"{logs.PREFIX}_{name}"), library):
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
    for handler in kept:
        library.addHandler(handler)
    library.setLevel(level)


def test_writes_to_splunks_log_folder_when_splunk_home_is_set(tmp_path, monkeypatch, component):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))

    logger = logs.get_logger(component)
    logger.info("pulled %d users", 42)
    logs.get_logger(component).info("again")

    path = tmp_path / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{component}.log"
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("| pulled 42 users")
    assert " INFO pid=" in lines[0]


def test_the_packages_own_module_logs_share_the_components_file(tmp_path, monkeypatch, component):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    logs.get_logger(component)

    logging.getLogger("splunk_app.mimecast.client").warning("find_groups: retrying with Bearer abcdef123456")

    path = tmp_path / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{component}.log"
    assert path.read_text().strip().endswith("| find_groups: retrying with Bearer ********")
    assert logging.getLogger(logs.LIBRARY).propagate


def test_without_splunk_home_the_packages_module_logs_are_left_alone(monkeypatch, component):
    monkeypatch.delenv("SPLUNK_HOME", raising=False)

    logs.get_logger(component)

    assert logging.getLogger(logs.LIBRARY).handlers == []


def test_writes_to_stderr_without_splunk_home(monkeypatch, capsys, component):
    monkeypatch.delenv("SPLUNK_HOME", raising=False)

    logs.get_logger(component).warning("no SPLUNK_HOME")

    assert "WARNING" in capsys.readouterr().err


def test_set_level_applies_the_logging_tab(monkeypatch, capsys, component):
    monkeypatch.delenv("SPLUNK_HOME", raising=False)
    logger = logs.get_logger(component)

    logger.debug("hidden")
    logs.set_level(logger, "debug")
    logger.debug("shown")
    logs.set_level(logger, "nonsense")

    err = capsys.readouterr().err
    assert "hidden" not in err
    assert "shown" in err
    assert logger.level == logging.INFO


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Splunk 0123456789abcdef0123",
        "headers={'Authorization': 'Bearer eyJhbGciOi.JIUzI1Ni'}",
        "Authorization: MC AKIAACCESSKEY:c2lnbmF0dXJlPQ==",
        "client_secret=s3cr3t-Value&grant_type=client_credentials",
        '{"session_key": "abcdef0123456789", "server_uri": "https://127.0.0.1:8089"}',
        "proxy http://alice:pa55word@proxy.example:3128 refused",
        "{'secret_key': 'YWJjZGVmZ2hpams='}",
    ],
)
def test_the_formatter_masks_secret_looking_values(line, monkeypatch, capsys, component):
    monkeypatch.delenv("SPLUNK_HOME", raising=False)

    logs.get_logger(component).error("%s", line)

    err = capsys.readouterr().err
    assert "********" in err
    for secret in (
        "0123456789abcdef0123",
        "eyJhbGciOi",
        "c2lnbmF0dXJl",
        "s3cr3t",
        "abcdef0123456789",
        "pa55word",
        "YWJjZGVm",
    ):
        assert secret not in err
    assert "127.0.0.1:8089" in err or "session_key" not in line


def test_endpoint_names_that_end_in_token_are_not_masked():
    assert logs.scrub("oauth_token: NetworkError; trying again") == "oauth_token: NetworkError; trying again"


def test_hidden_values_are_masked_anywhere_even_in_tracebacks(monkeypatch, capsys, component):
    monkeypatch.delenv("SPLUNK_HOME", raising=False)
    secret = f"plain-{uuid.uuid4().hex}"
    logs.hide(secret)

    try:
        raise RuntimeError(f"the upstream echoed {secret}")
    except RuntimeError:
        logs.get_logger(component).exception("call failed")

    err = capsys.readouterr().err
    assert "Traceback" in err
    assert secret not in err
    assert "the upstream echoed ********" in err


def test_component_names_stay_file_names():
    with pytest.raises(ValueError, match="letters, digits"):
        logs.get_logger("../etc/passwd")


FORGED = "1999-01-01 00:00:00,000 CRITICAL pid=1 | forged=yes"


def _lines_of(tmp_path, component):
    path = tmp_path / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{component}.log"
    return path.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize(
    "outside",
    [
        f"bad group\n{FORGED}",
        f"bad group\r\n{FORGED}",
        f"bad group\r{FORGED}",
        f"bad group\u2028{FORGED}",
        f"bad group\x85{FORGED}",
        f"bad \x1b[31mgroup\x00\n{FORGED}",
    ],
)
def test_outside_values_cannot_forge_a_log_line(tmp_path, monkeypatch, component, outside):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    logs.get_logger(component).warning("group %s refused: %s", outside, "rid\nx")

    lines = [line for line in _lines_of(tmp_path, component) if line]
    assert len(lines) == 1, lines
    assert not any(ord(c) < 32 or c in "\x7f\x85\u2028\u2029" for c in lines[0])
    assert "\\n" in lines[0] or "\\r" in lines[0] or "\\u2028" in lines[0] or "\\x85" in lines[0]


def test_an_exception_message_cannot_forge_a_line_inside_a_traceback(tmp_path, monkeypatch, component):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    try:
        raise ValueError(f"Mimecast said\n{FORGED}\r\x1b[0m")
    except ValueError:
        logs.get_logger(component).exception("the run failed")

    lines = [line for line in _lines_of(tmp_path, component) if line]
    assert lines[0].endswith("| the run failed")
    assert all(line[:1].isspace() for line in lines[2:]), lines
    assert lines[1].startswith("Traceback")
    assert not any(line.startswith("1999") for line in lines)
    assert not any("\x1b" in line or "\r" in line for line in lines)
