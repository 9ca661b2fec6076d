"""The workshop, never shipped: simulated tenant, splunkd stand-in, protocol drivers, demo and CLI."""
