"""Tooling outside the use-case layer: the benchmark (`petition-flow bench`) and the demo seed
(`petition-flow demo`). They drive services like any other caller; no service imports them."""
