"""Turning files into clean, stably identified chunks and keeping the index in step with them."""
