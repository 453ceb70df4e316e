"""Entry point: `uv run main.py --help` lists the commands."""

import gc
import sys

# The modules imported next make some 100,000 objects that live as long as the process: collecting garbage among
# them while they are made, and scanning them again at every full collection after, is a tenth of a start's time.
gc.disable()
from bot.cli import main  # noqa: E402

gc.freeze()  # the imported objects are left out of every collection from now on
gc.enable()

if __name__ == "__main__":
    sys.exit(main())
