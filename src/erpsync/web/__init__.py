"""The browser UI: server-rendered pages (Jinja2) whose actions call the JSON API with ``fetch``."""
