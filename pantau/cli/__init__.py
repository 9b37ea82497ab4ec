"""The ``pantau`` command line (Typer). Entry point: :data:`pantau.cli.main.app`."""
