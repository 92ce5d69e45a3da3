"""albrecon: CLI and embedded (local) runtime of alb-egress-reconciliation."""
