"""bwcases: case management for Better Work factory cases."""

__version__ = "0.1.0"
