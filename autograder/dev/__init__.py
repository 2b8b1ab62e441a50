"""Developer tools: the sample submissions and the benchmark. Not part of the Gradescope bundle."""
