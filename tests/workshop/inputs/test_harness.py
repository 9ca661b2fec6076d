"""The splunkd-style runner reads the XML stream as splunkd does, including a stream cut by a kill."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from devkit import modinput

STREAM = (
    '<stream><event stanza="mimecast_at_queue://a" unbroken="1"><time>1795001400.000</time>'
    '<sourcetype>mimecast:awareness:module</sourcetype><index>mimecast</index><data>{"id": 1}</data><done />'
    '</event><event unbroken="1"><time>1795001400.000</time><data>{"id": 2}</data><done /></event>'
)


def test_whole_events_of_a_finished_stream():
    events = modinput.parse_stream(STREAM + "</stream>")
    assert [e.data for e in events] == ['{"id": 1}', '{"id": 2}']
    assert events[0].time == 1795001400.0 and events[0].sourcetype == "mimecast:awareness:module"
    assert events[0].index == "mimecast" and events[0].stanza == "mimecast_at_queue://a"


def test_a_stream_cut_mid_event_keeps_the_whole_events_only():
    cut = STREAM + '<event unbroken="1"><time>1795001400.000</time><data>{"id": 3'
    assert [e.data for e in modinput.parse_stream(cut)] == ['{"id": 1}', '{"id": 2}']


def test_the_input_definition_is_what_splunkd_writes():
    xml = modinput.input_definition(
        "mimecast_at_watchlist://w",
        {"account": "a", "filter_by": ["x", "y"]},
        server_uri="https://127.0.0.1:8089",
        session_key="k",
        checkpoint_dir="/c",
    )
    root = ET.fromstring(xml)
    assert root.findtext("server_uri") == "https://127.0.0.1:8089" and root.findtext("checkpoint_dir") == "/c"
    stanza = root.find("configuration/stanza")
    assert stanza.get("name") == "mimecast_at_watchlist://w"
    assert [v.text for v in stanza.find("param_list")] == ["x", "y"]
