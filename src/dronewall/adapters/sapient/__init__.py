"""SAPIENT adapter."""
