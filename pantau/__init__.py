"""Pantau: monitor the information space of an Indonesian regional election.

The ``pantau`` package is the application shell (command line, settings) and holds the shared
domain types in :mod:`pantau.domain`, which every other layer may import.
"""

__version__ = "0.1.0"
