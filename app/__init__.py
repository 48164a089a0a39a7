"""The web service (HTTP API, dashboard, database)."""
