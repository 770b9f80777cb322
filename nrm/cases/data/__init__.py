"""Bundled indicator lists (JSON) and their stdlib-only checker, ``check_indicators``."""
