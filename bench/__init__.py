"""Benchmarks: scripts run by hand or by make, printing what they measure (never timed tests)."""
