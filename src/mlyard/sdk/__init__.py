"""The Python SDK: Azure ML v1 names over HTTP. Imports only ``mlyard.core`` and ``mlyard.api``."""
