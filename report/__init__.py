"""Publication builder for CPT/HCPCS billing-code reports."""

__version__ = "0.1.0"
