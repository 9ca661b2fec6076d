"""An embedded simulated Mimecast tenant for the demo, tests and benchmarks; never packaged into the app."""

from devkit.simulator.faults import Faults
from devkit.simulator.tenant import ServedRequest, SimulatedTenant

__all__ = ["Faults", "ServedRequest", "SimulatedTenant"]
