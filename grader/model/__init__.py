"""The API layer: objects, strict decoding, defaulting, validation and warnings.

Imports only the standard library, PyYAML and :mod:`grader.errors`.
"""
