"""The innermost layer: settings, ids, resource paths, action names, errors.

Standard library and pydantic only; every other layer may import from here.
"""
