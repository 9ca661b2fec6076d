"""The stand-in's own behaviour where the adapter tests do not already pin it down."""

from __future__ import annotations

import json

import requests

from devkit.splunkd import CRED_END_MARK, CRED_SEP, MASK, SplunkdStandIn


def _get(splunkd, path, **params):
    return requests.get(
        f"{splunkd.uri}{path}",
        params=params,
        headers={"Authorization": f"Splunk {splunkd.session_key}"},
        timeout=10,
    )


def test_conf_stanzas_come_as_splunkd_json_feeds(splunkd):
    splunkd.set_conf("ta_mimecast_awareness_settings", "logging", {"loglevel": "DEBUG"})

    answer = _get(
        splunkd,
        "/servicesNS/nobody/TA-mimecast-awareness/configs/conf-ta_mimecast_awareness_settings/logging",
        output_mode="json",
    )

    assert answer.status_code == 200
    assert answer.json()["entry"][0]["name"] == "logging"
    assert answer.json()["entry"][0]["content"]["loglevel"] == "DEBUG"


def test_feeds_refuse_atom_so_a_caller_that_needs_xml_is_caught(splunkd):
    answer = _get(splunkd, "/services/server/info")

    assert answer.status_code == 400
    assert '<msg type="ERROR">' in answer.text


def test_missing_stanza_is_404_with_splunkds_words(splunkd):
    answer = _get(splunkd, "/servicesNS/nobody/TA-mimecast-awareness/configs/conf-x/nope", output_mode="json")

    assert answer.status_code == 404
    assert answer.json() == {"messages": [{"type": "ERROR", "text": "Could not find object id=nope"}]}


def test_set_encrypted_stores_as_ucc_does(splunkd):
    long_secret = "s" * 600
    splunkd.set_encrypted("ta_mimecast_awareness_account", "prod", {"client_secret": long_secret})
    splunkd.set_encrypted("ta_mimecast_awareness_account", "prod", {"app_key": "k"})

    assert splunkd.conf("ta_mimecast_awareness_account")["prod"] == {"client_secret": MASK, "app_key": MASK}
    entries = sorted(splunkd.passwords(), key=lambda e: int(e["username"].split(CRED_SEP)[1]))
    realm = "__REST_CREDENTIAL__#TA-mimecast-awareness#configs/conf-ta_mimecast_awareness_account"
    assert {e["realm"] for e in entries} == {realm}
    assert all(len(e["clear_password"]) <= 255 for e in entries)
    assert entries[-1]["clear_password"] == CRED_END_MARK
    joined = "".join(e["clear_password"] for e in entries[:-1])
    assert json.loads(joined) == {"client_secret": long_secret, "app_key": "k"}


def test_passwords_list_hides_nothing_it_should_not_and_posts_create(splunkd):
    headers = {"Authorization": f"Splunk {splunkd.session_key}"}
    created = requests.post(
        f"{splunkd.uri}/servicesNS/nobody/TA-mimecast-awareness/storage/passwords",
        data={"name": "u", "password": "p", "realm": "r", "output_mode": "json"},
        headers=headers,
        timeout=10,
    )
    again = requests.post(
        f"{splunkd.uri}/servicesNS/nobody/TA-mimecast-awareness/storage/passwords",
        data={"name": "u", "password": "p", "realm": "r", "output_mode": "json"},
        headers=headers,
        timeout=10,
    )

    assert created.status_code == 200
    assert created.json()["entry"][0]["name"] == "r:u:"
    assert again.status_code == 409
    listed = _get(
        splunkd, "/servicesNS/nobody/TA-mimecast-awareness/storage/passwords", output_mode="json", count=-1
    )
    content = listed.json()["entry"][0]["content"]
    assert (content["clear_password"], content["password"]) == ("p", MASK)


def test_messages_are_recorded(splunkd):
    headers = {"Authorization": f"Splunk {splunkd.session_key}"}
    requests.post(
        f"{splunkd.uri}/services/messages",
        data={"name": "m1", "value": "look", "severity": "warn", "output_mode": "json"},
        headers=headers,
        timeout=10,
    )

    assert splunkd.messages() == [{"name": "m1", "message": "look", "severity": "warn"}]


def test_every_request_is_recorded_and_checked_for_the_session_key():
    with SplunkdStandIn(session_key="fixed-key") as splunkd:
        answer = requests.get(
            f"{splunkd.uri}/services/server/info?output_mode=json",
            headers={"Authorization": "Splunk wrong"},
            timeout=10,
        )

        assert answer.status_code == 401
        assert [(r.method, r.path, r.authorized, r.status) for r in splunkd.requests] == [
            ("GET", "/services/server/info", False, 401)
        ]


def test_kvstore_query_operators_sort_and_fields(splunkd):
    splunkd.create_collection("c", [{"_key": str(i), "n": i, "g": "AB"[i % 2]} for i in range(10)])
    path = "/servicesNS/nobody/TA-mimecast-awareness/storage/collections/data/c"

    answer = _get(
        splunkd,
        path,
        query=json.dumps({"$and": [{"n": {"$gte": 3}}, {"g": "B"}]}),
        sort="n:-1",
        fields="n,_key:0",
    )

    assert answer.json() == [{"n": 9}, {"n": 7}, {"n": 5}, {"n": 3}]
