"""ember's benchmark suite: `python -m bench` (bench/cli.py, bench/README.md)."""
