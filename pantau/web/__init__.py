"""Pantau's HTTP surfaces. Today: the tipline intake endpoint (:mod:`pantau.web.tipline`)."""
