from __future__ import annotations

import pytest

from devkit.splunkd import SplunkdStandIn
from splunk_app.splunk import service as splunkd_service


@pytest.fixture
def splunkd():
    with SplunkdStandIn() as standin:
        yield standin


@pytest.fixture
def service(splunkd):
    return splunkd_service.connect(splunkd.uri, splunkd.session_key)
