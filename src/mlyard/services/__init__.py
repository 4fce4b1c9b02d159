"""The rules of mlyard, one module per asset kind. No FastAPI here: errors are core errors."""
