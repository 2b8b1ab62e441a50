"""The autograder: hidden cases and reference tensors, the sandboxed batch grader, reports.

The checks themselves live in ``netvis.checks``; this package supplies what students must not
see (hidden cases, references made from the solution) and runs the checks on submissions.
"""
