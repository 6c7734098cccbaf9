"""Run the command line as `python -m portique`."""

from portique.cli import main

main()
