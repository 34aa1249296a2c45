"""``python -m dronewall`` runs the command line."""

from dronewall.cli import main

main()
