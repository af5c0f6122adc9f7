"""`python -m bench [name ...]`: the benchmarks, each against its baseline in the same run, written
to BENCHMARKS.md (and the growth plot beside it). The same as `python -m bench.run`."""

from bench.run import cli

cli()
