"""bereikbaar: how reachable essential services are for people in rural areas.

Importing the package does nothing heavy: no network, no file writes. The notebook API::

    from bereikbaar import load_config
    from bereikbaar.pipeline import open_study_area, run_hartveilig, run_dorpshub, export

``load_config`` reads a study-area TOML file; :mod:`bereikbaar.pipeline` wires inputs,
networks, analyses and outputs (see ``docs/ARCHITECTURE.md`` for the module list).
"""

from bereikbaar.config import Config, load_config
from bereikbaar.errors import BereikbaarError

__all__ = ["BereikbaarError", "Config", "load_config", "__version__"]
__version__ = "0.1.0"
