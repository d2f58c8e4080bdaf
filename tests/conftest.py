"""Fixtures shared by the mail test modules (a module's own fixture of the same name wins)."""
from __future__ import annotations

import pytest
from mail_server import SmtpServer, make_world


@pytest.fixture
def world(tmp_path):
    """A campaign database with two agencies and their acts, for one test."""
    w = make_world(tmp_path)
    yield w
    w.db.close()


@pytest.fixture
def server():
    """A real SMTP server on 127.0.0.1 for one test."""
    srv = SmtpServer().start()
    yield srv
    srv.stop()
