"""Entry point: `uv run main.py --help` lists the commands."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
