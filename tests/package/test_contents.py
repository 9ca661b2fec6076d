"""What is inside the tarball: only what Splunk runs, pinned to Splunk's Pythons, nothing compiled."""

from __future__ import annotations

import json
import re
import struct
import sys
import tarfile
from pathlib import Path

from splunk_app import APP_ID, __version__
from splunk_app.actions import DEFAULT_SWEEP_USERS

from .conffiles import ROOT, TARBALL, parse_conf

COMPILED = re.compile(r"\.(so|pyd|pyc|pyo|dll|dylib|exe)$|(^|/)__pycache__(/|$)")
NOT_SHIPPED = re.compile(
    r"(^|/)devkit/|(^|/)tests?/"
    r"|(^|/)(\.ruff_cache|\.pytest_cache|\.venv[^/]*|pytest|_pytest|ruff|vcr|setuptools|pip)/"
)
PYTHON_PINS = {"python.version": "python3", "python.required": "3.9, 3.13"}


def _relative(member: tarfile.TarInfo) -> str:
    return member.name.split("/", 1)[1] if "/" in member.name else ""


def test_one_top_folder_named_after_the_app(members: list[tarfile.TarInfo]) -> None:
    assert {m.name.split("/", 1)[0] for m in members} == {APP_ID}


def test_no_compiled_file(members: list[tarfile.TarInfo]) -> None:
    compiled = [m.name for m in members if COMPILED.search(m.name)]
    assert compiled == []


def test_no_simulator_cli_tests_or_dev_tools(members: list[tarfile.TarInfo]) -> None:
    shipped = [m.name for m in members if NOT_SHIPPED.search(_relative(m))]
    assert shipped == []
    names = {_relative(m) for m in members}
    assert "lib/splunk_app/__init__.py" in names
    assert "lib/splunklib/__init__.py" in names


def test_lib_splunk_app_is_splunk_app_file_for_file() -> None:
    ours = {
        path.relative_to(ROOT / "splunk_app").as_posix(): path.read_bytes()
        for path in (ROOT / "splunk_app").rglob("*")
        if path.is_file() and not COMPILED.search(str(path))
    }
    prefix = f"{APP_ID}/lib/splunk_app/"
    with tarfile.open(TARBALL) as archive:
        shipped = {
            member.name[len(prefix) :]: archive.extractfile(member).read()
            for member in archive.getmembers()
            if member.isfile() and member.name.startswith(prefix)
        }
    assert sorted(shipped) == sorted(ours)
    assert [name for name in ours if shipped[name] != ours[name]] == []


def test_nothing_executable_outside_bin(members: list[tarfile.TarInfo]) -> None:
    executable = [
        m.name for m in members if m.isfile() and m.mode & 0o111 and not _relative(m).startswith("bin/")
    ]
    assert executable == []


def test_no_links_or_special_files(members: list[tarfile.TarInfo]) -> None:
    assert [m.name for m in members if not (m.isfile() or m.isdir())] == []


def test_our_bin_scripts_are_shipped_unchanged(installed_app: Path) -> None:
    ours = sorted(p for p in (ROOT / "bin").glob("*.py"))
    assert ours, "the repository's bin/ has no entry point yet"
    for script in ours:
        assert (installed_app / "bin" / script.name).read_bytes() == script.read_bytes(), script.name


def test_app_conf(installed_app: Path) -> None:
    conf = parse_conf(installed_app / "default" / "app.conf")
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert conf["id"]["name"] == APP_ID
    assert conf["id"]["version"] == __version__
    assert conf["package"]["id"] == APP_ID
    assert conf["install"]["is_configured"] == "false"
    assert conf["launcher"]["version"] == __version__
    assert conf["launcher"]["description"]
    assert conf["launcher"]["author"]


def test_sc_admin_gets_what_admin_gets(installed_app: Path) -> None:
    meta = parse_conf(installed_app / "metadata" / "default.meta")
    access = [settings["access"] for settings in meta.values() if "access" in settings]
    assert access, "default.meta sets no access at all"
    for rule in access:
        for grant in re.findall(r"(read|write)\s*:\s*\[([^\]]*)\]", rule):
            roles = {role.strip() for role in grant[1].split(",")}
            assert "admin" not in roles or "sc_admin" in roles or "*" in roles, rule


def test_app_icons(installed_app: Path) -> None:
    sizes = {"appIcon.png": 36, "appIconAlt.png": 36, "appIcon_2x.png": 72, "appIconAlt_2x.png": 72}
    for name, size in sizes.items():
        data = (installed_app / "static" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert struct.unpack(">II", data[16:24]) == (size, size), name


def _python_stanzas(app: Path) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for name, is_python in (
        ("inputs.conf", lambda stanza, _: (app / "bin" / f"{stanza.split('://')[0]}.py").is_file()),
        ("commands.conf", lambda _, s: s.get("filename", "").endswith(".py")),
        ("restmap.conf", lambda _, s: "python" in (s.get("handlertype", ""), s.get("scripttype", ""))),
        ("alert_actions.conf", lambda _, s: s.get("is_custom") in ("1", "true")),
    ):
        path = app / "default" / name
        if path.is_file():
            found += [
                (name, stanza, settings)
                for stanza, settings in parse_conf(path).items()
                if stanza != "default" and is_python(stanza, settings)
            ]
    return found


def test_every_python_stanza_runs_on_splunks_pythons(installed_app: Path) -> None:
    stanzas = _python_stanzas(installed_app)
    assert {conf for conf, _, _ in stanzas} >= {"inputs.conf", "restmap.conf"}
    wrong = [
        (conf, stanza)
        for conf, stanza, settings in stanzas
        if any(settings.get(key) != value for key, value in PYTHON_PINS.items())
    ]
    assert wrong == []


def test_every_input_type_has_its_script(installed_app: Path) -> None:
    spec = parse_conf(installed_app / "README" / "inputs.conf.spec")
    schemes = [stanza.split("://")[0] for stanza in spec if "://" in stanza]
    assert len(schemes) == 10
    assert [s for s in schemes if not (installed_app / "bin" / f"{s}.py").is_file()] == []


def test_the_inputs_page_and_inputs_conf_are_the_catalogues(installed_app: Path) -> None:
    """The build writes both from the data-set catalogue; UCC only expands its interval and index fields."""
    sys.path.insert(0, str(ROOT / "packaging"))
    import ucc_inputs

    config = installed_app / "appserver" / "static" / "js" / "build" / "globalConfig.json"
    built = json.loads(config.read_text())
    services = built["pages"]["inputs"]["services"]
    expected = ucc_inputs.services()
    assert [s["name"] for s in services] == [s["name"] for s in expected]
    for got, wanted in zip(services, expected):
        assert [e["field"] for e in got["entity"]] == [e["field"] for e in wanted["entity"]]
        drawn_by_ucc = ("interval", "index")
        ours = [e for e in wanted["entity"] if e["type"] not in drawn_by_ucc]
        assert [e for e in got["entity"] if e["field"] in {o["field"] for o in ours}] == ours
    import build

    expected = ucc_inputs.inputs_conf() + "\n" + ucc_inputs.audit_input()
    assert (installed_app / "default" / "inputs.conf").read_text() == build.without_comments(expected)


def test_ready_for_splunkbase_licence_release_notes_and_update_check(installed_app: Path) -> None:
    manifest = json.loads((installed_app / "app.manifest").read_text(encoding="utf-8"))["info"]
    assert manifest["license"]["name"] == "Apache License 2.0"
    assert (installed_app / manifest["license"]["text"]).read_text(encoding="utf-8") == (
        ROOT / "LICENSE"
    ).read_text(encoding="utf-8")
    notes = (installed_app / manifest["releaseNotes"]["text"]).read_text(encoding="utf-8")
    assert f"## {__version__} ({manifest['releaseDate']})" in notes
    assert len(manifest["description"]) > 200
    conf = parse_conf(installed_app / "default" / "app.conf")
    assert conf["package"]["check_for_updates"] == "true"


def test_a_readme_for_the_administrator_inside(installed_app: Path) -> None:
    shipped = (installed_app / "README.md").read_text(encoding="utf-8")
    assert shipped == (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    assert "## Where to install" in shipped and "mimecast_awareness_analyst" in shipped


def test_every_alert_action_shows_its_own_icon(installed_app: Path) -> None:
    actions = parse_conf(installed_app / "default" / "alert_actions.conf")
    actions.pop("default", None)
    config = json.loads((ROOT / "globalConfig.json").read_text(encoding="utf-8"))
    assert set(actions) == {alert["name"] for alert in config["alerts"]}
    icons = {name: stanza["icon_path"] for name, stanza in actions.items()}
    assert icons == {name: f"{name}.png" for name in actions}  # not UCC's generic alerticon.png
    for icon in icons.values():
        data = (installed_app / "appserver" / "static" / icon).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", icon
        assert struct.unpack(">II", data[16:24]) == (48, 48), icon
    assert not (installed_app / "appserver" / "static" / "alerticon.png").exists()


def test_the_sweeps_max_users_is_in_its_alert_form_with_the_sweeps_default(installed_app: Path) -> None:
    sweep = parse_conf(installed_app / "default" / "alert_actions.conf")["mimecast_containment_sweep"]
    assert sweep["param.max_users"] == str(DEFAULT_SWEEP_USERS)
    form = installed_app / "default" / "data" / "ui" / "alerts" / "mimecast_containment_sweep.html"
    assert 'name="action.mimecast_containment_sweep.param.max_users"' in form.read_text(encoding="utf-8")


def test_shipped_conf_files_carry_no_developer_comments(installed_app: Path) -> None:
    """The repository's .conf comments are for developers; the build leaves them out (an administrator reads
    the package's README.md, the knowledge objects' descriptions and the documentation)."""
    commented = {}
    for conf in sorted((installed_app / "default").glob("*.conf")):
        continued = False
        for number, line in enumerate(conf.read_text(encoding="utf-8").splitlines(), 1):
            if not continued and line.lstrip().startswith("#"):
                commented.setdefault(conf.name, number)
            continued = line.rstrip().endswith("\\")
    assert commented == {}
    settings = parse_conf(installed_app / "default" / "savedsearches.conf")
    repository = parse_conf(ROOT / "default" / "savedsearches.conf")
    assert settings == repository  # comments gone, nothing else


# The tiers the package README asks to install on, as app.manifest names them.
TIERS = {
    "_search_heads": "**Search heads**",
    "_forwarders": "**Heavy forwarders**",
    "_indexers": "**Indexers**",
}


def test_the_manifest_names_every_tier_the_readme_asks_to_install_on(installed_app: Path) -> None:
    manifest = json.loads((installed_app / "app.manifest").read_text(encoding="utf-8"))
    readme = (installed_app / "README.md").read_text(encoding="utf-8")
    where = readme.split("## Where to install", 1)[1].split("\n## ", 1)[0]
    asked = {tier for tier, words in TIERS.items() if words in where}
    assert set(manifest["targetWorkloads"]) == asked == set(TIERS)
    guide = (ROOT / "docs" / "install.md").read_text(encoding="utf-8").lower()
    assert all(place in guide for place in ("search head", "heavy forwarder", "indexers"))
