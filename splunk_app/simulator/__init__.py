"""An embedded simulated Mimecast tenant for the demo, tests and benchmarks; never packaged into the app."""

from splunk_app.simulator.faults import Faults
from splunk_app.simulator.tenant import ServedRequest, SimulatedTenant

__all__ = ["Faults", "ServedRequest", "SimulatedTenant"]
