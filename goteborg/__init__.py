"""Göteborg's model of employment requirements in public procurement, on top of the generic
engine: what Kedja knows of the model beyond its diagrams (processes/) and forms.

- `roles`: the element roles the model relies on (`kedja:modelRole`, `kedja:followUpPhase`),
  read from the deployed diagrams, and the requirements the engine checks at every deploy;
- `chain`: a procurement with its suppliers and participants;
- `reports`: the key figures; `distribution`: the distribution key's standing per district;
- `options`: the choices forms offer (open vacancies, bids, districts, procurements);
- `simulation`, `cli`: a simulated city-year (`kedja simulate`), `kedja report`; `demo`: demo data.

The engine never imports this package (an import contract keeps it so); this package uses the
engine's public surface only (`engine/__init__.py`). It is installed as a model package: the
entry point `kedja.model` names `MODEL`, whose requirements `EngineConfig.from_env` hands the
engine and whose choice providers the engine's forms use.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import settings
from .options import DATA_PROVIDERS, OPTION_PROVIDERS
from .roles import REQUIREMENTS


@dataclass(frozen=True)
class ModelPackage:
    """What the engine is given of a model package: what it requires of the diagrams, and its
    form choice providers (engine/form_options.py)."""

    name: str
    requirements: tuple
    option_providers: dict
    data_providers: frozenset
    default_settings: Callable[[], dict]  # the settings' defaults, by name
    settings_from_env: Callable[[], dict]  # the same with what KEDJA_* variables set
    diagram_settings: tuple  # the settings diagrams read as settings['name']


MODEL = ModelPackage("goteborg", REQUIREMENTS, OPTION_PROVIDERS, DATA_PROVIDERS, settings.defaults,
                     settings.from_env, settings.DIAGRAM_SETTINGS)
