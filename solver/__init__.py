"""Pure optimisation over plain data (OR-Tools CP-SAT).

Deliberately empty until the optimizer issue: this package may import neither
``p2p_scheduler`` nor ``api`` (checked by import-linter).
"""
