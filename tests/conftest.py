"""Shared pytest configuration: fixture plugins are registered here."""

# tests.fixtures.moto: a session-wide moto S3 server (moto_server) and a fresh bucket per test.
# tests.fixtures.store: fresh migrated databases on SQLite and PostgreSQL, a Platform, an admin.
# tests.fixtures.server: a real `mlyard up` in a subprocess (live_server, server_env).
pytest_plugins = ["tests.fixtures.moto", "tests.fixtures.store", "tests.fixtures.server"]
