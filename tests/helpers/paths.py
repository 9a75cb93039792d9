"""Where the tests find the repository's files, wherever a test module sits in the tree."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
DEPLOY = REPO / "deploy"
PLUGIN_PKG = REPO / "tests" / "plugin_pkg"
