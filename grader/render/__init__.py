"""Rendering: every view (text, Markdown, TOML handouts, later PDF) comes from a jinja2
template in ``templates/``; the modules here only build the plain data the templates show."""
