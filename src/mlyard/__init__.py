"""mlyard: a self-hosted machine-learning workspace platform."""

__version__ = "0.1.0"
