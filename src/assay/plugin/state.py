"""Where the plugin keeps its per-run state: one :class:`~assay.plugin.session.AssaySession` in
``config.stash``, built in ``pytest_configure`` and removed in ``pytest_unconfigure``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from assay.plugin.session import AssaySession

SESSION = pytest.StashKey["AssaySession"]()


def state(config: pytest.Config) -> "AssaySession":
    """The assay session of ``config`` (the plugin builds it in ``pytest_configure``)."""
    return config.stash[SESSION]
