"""Pure domain code of the ALB egress reconciliation (no boto3, no I/O)."""
