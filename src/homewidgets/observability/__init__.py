"""Operability: structured logs, control-plane request ids and metrics, L2 timing, tracing.

Nothing here runs on the read path (`inbound/http/read_path.py` counts with plain ints in
`homewidgets.metrics`); everything is wired once, in the composition root and `create_app`.
"""
