"""ottwatch: tells a phone operator that an OTT service is down before its customers call."""

__version__ = "0.1.0"
