"""The Gradio chat page served at `/` beside the API."""
