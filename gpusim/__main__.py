"""``python -m gpusim``: the same command line as the ``gpusim`` script."""

from gpusim.cli import main

main()
