"""P2P Scheduler domain: policy and eligibility, persistence, the command line."""

__version__ = "0.1.0"
