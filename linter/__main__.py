import sys

from lunalint.cli import main

if __name__ == "__main__":  # not when multiprocessing imports it in the server's worker
    sys.exit(main())
