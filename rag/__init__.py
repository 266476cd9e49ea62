"""Retrieval-augmented Q&A over Chinese reports: settings, store, retrieval and the command line."""
