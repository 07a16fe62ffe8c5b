"""Session fixtures: the ``tiny`` synthetic county and one model trained on it (about 3 s)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.analytics.linkage import EngineConfig, clean_records, frame_from_generator, train_model
from lantern.synthetic.generator import generate

AS_OF = dt.date(2026, 11, 28)
CONFIG = EngineConfig(backend="duckdb", threads=1)


@pytest.fixture(scope="session")
def tiny_county():
    return generate("tiny", seed=2019, as_of=AS_OF)


@pytest.fixture(scope="session")
def tiny_frame(tiny_county):
    return frame_from_generator(tiny_county.records, tiny_county.addresses)


@pytest.fixture(scope="session")
def tiny_clean(tiny_frame):
    return clean_records(tiny_frame, as_of=AS_OF)


@pytest.fixture(scope="session")
def tiny_model(tiny_clean):
    return train_model(tiny_clean, config=CONFIG, model_version="test-tiny")
