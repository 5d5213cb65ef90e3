"""Discovery: find the objects of a scene without prompts."""

from paintseg_layers.discovery.discover import (
    MIN_SCORE,
    DiscoverConfig,
    Proposal,
    discover,
    discover_and_decompose,
    propose,
)

__all__ = ["MIN_SCORE", "DiscoverConfig", "Proposal", "discover", "discover_and_decompose", "propose"]
