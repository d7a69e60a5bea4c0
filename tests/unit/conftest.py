"""Fast engine tests: an engine on an in-memory SQLite database, its tables made from the models
(no migrations, no file), so that projection, correlation, assignment and stall rules are tested
in milliseconds."""
from __future__ import annotations

import pytest

from engine.clock import FrozenClock
from engine.config import EngineConfig
from engine.models import Base
from engine.service import Engine

from ..helpers import FIXTURES


@pytest.fixture
def memory_engine():
    engine = Engine(EngineConfig(database_url="sqlite://", forms_dir=str(FIXTURES / "forms")), FrozenClock())
    Base.metadata.create_all(engine.sql_engine)
    yield engine
    engine.dispose()
