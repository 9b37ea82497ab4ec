"""Claim matching: known-hoax search against stored fact-checks, and clustering items into claims.

See docs/matching.md. The public names live in :mod:`classifiers.matching.index` and
:mod:`classifiers.matching.clustering`.
"""

from classifiers.matching.clustering import ClaimClusterer, ClaimSummary, cluster
from classifiers.matching.index import Doc, Match, MatchConfig, MatchIndex

__all__ = ["ClaimClusterer", "ClaimSummary", "Doc", "Match", "MatchConfig", "MatchIndex", "cluster"]
