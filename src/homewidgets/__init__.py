"""Home Widgets: the personalised home page service.

Importing the package opens no connections and reads no configuration.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
