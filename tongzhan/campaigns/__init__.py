"""Supplementation campaigns (数据补报): villages check, correct and add their records by a deadline."""
