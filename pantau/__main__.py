"""``python -m pantau``: the same as the ``pantau`` command."""

from pantau.cli.main import app

if __name__ == "__main__":
    app(prog_name="pantau")
