"""`python -m agent` runs the paperskim command line."""

from agent.cli.main import main

main()
