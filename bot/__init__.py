"""Incident Desk: watches news feeds and keeps a newsroom's desk on top of the incidents it tracks."""

__version__ = "0.1.0"
