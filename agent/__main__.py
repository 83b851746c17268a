"""`python -m agent` runs the paperskim command line."""

from agent.cli import main

main()
