"""bereikbaar: how reachable essential services are for people in rural areas.

Importing the package does nothing heavy: no network, no file writes. The public API is
re-exported lazily from :mod:`bereikbaar.api` once the analysis modules exist.
"""

from bereikbaar.config import Config, load_config
from bereikbaar.errors import BereikbaarError

__all__ = ["BereikbaarError", "Config", "load_config", "__version__"]
__version__ = "0.1.0"
