import sys

from lunalint.cli import main

sys.exit(main())
