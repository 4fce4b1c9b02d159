"""The HTTP server: create_app, one router per asset kind, the auth dependency, error mapping."""
