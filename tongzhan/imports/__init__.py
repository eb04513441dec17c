"""Importing people from .xlsx/.xls/.csv: upload, column mapping, dry run, commit in one batch, undo."""
