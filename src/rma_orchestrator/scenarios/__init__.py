"""Analysts' YAML scenarios: read them (``files``), drive the service with them (``driver``, ``runner``)."""
