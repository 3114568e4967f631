"""Speed and memory benchmarks: `make bench` runs every ``bench_*.py`` module's ``main()``."""
