"""Aggregate figures for the leaders' wall screen: totals only, recounted per data version."""
