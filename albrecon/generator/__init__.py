"""Realistic datasets laid out exactly as AWS delivers them, with their ground truth."""
