"""The web door: server-rendered pages, one folder per page feature."""
