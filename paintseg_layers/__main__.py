import sys

from paintseg_layers.cli.main import main

sys.exit(main())
