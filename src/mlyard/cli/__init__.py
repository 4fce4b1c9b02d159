"""The ``mlyard`` command line: Typer commands over the SDK; server commands import the server lazily."""
