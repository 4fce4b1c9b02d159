"""Domain objects: what the services return and the routers shape. No ORM rows leave the store."""
