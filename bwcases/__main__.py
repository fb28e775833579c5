"""python -m bwcases: the bwcases command."""

from bwcases.cli import main

main()
