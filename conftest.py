"""Shared test configuration for assay's own tests (not needed by users of the plugin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Deterministic property tests in CI; a few more examples on a developer's machine.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent / "shared"
SHARED_MODEL = SHARED / "models" / "minilm-airline-sentiment"
SHARED_TWEETS = SHARED / "data" / "airline" / "tweets.tsv"


@pytest.fixture(scope="session")
def shared_model_path() -> Path:
    """The shared fine-tuned sentiment model; the test is skipped where it is absent."""
    if not (SHARED_MODEL / "model.safetensors").is_file():
        pytest.skip(f"shared model not found at {SHARED_MODEL}")
    return SHARED_MODEL


@pytest.fixture(scope="session")
def shared_tweets_path() -> Path:
    """The shared airline tweets (label<TAB>text); skipped where absent."""
    if not SHARED_TWEETS.is_file():
        pytest.skip(f"shared tweets not found at {SHARED_TWEETS}")
    return SHARED_TWEETS
