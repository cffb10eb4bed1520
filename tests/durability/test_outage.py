"""Outages: /health says 503 while the database is unreachable and recovers by itself."""

from __future__ import annotations

import socket
import threading

from sqlalchemy.engine import make_url

from mapsvc.app import create_app


class Relay:
    """A loopback TCP relay to the database that can be cut and restored, like a network or
    database outage seen from the service."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen()
        self.up = True
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.up = False
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.conns.clear()

    def restore(self) -> None:
        """Accept connections again."""
        self.up = True

    def close(self) -> None:
        """Stop listening."""
        self.cut()
        self.listener.close()


def test_health_is_503_while_database_is_down_and_200_when_it_returns(db_url):
    u = make_url(db_url)
    relay = Relay(u.host or "127.0.0.1", u.port or 5432)
    try:
        app = create_app(
            {
                "DATABASE_URL": u.set(host="127.0.0.1", port=relay.port).render_as_string(
                    hide_password=False
                )
            }
        )
        client = app.test_client()
        assert client.get("/health").status_code == 200

        relay.cut()
        res = client.get("/health")
        assert res.status_code == 503
        body = res.get_json()
        assert body["database"] == "down"
        assert "数据库不可用" in body["message"]

        relay.restore()  # same app, same pool: no restart
        res = client.get("/health")
        assert res.status_code == 200
        assert res.get_json()["database"] == "up"
    finally:
        relay.close()


def test_health_on_a_server_that_never_existed_is_503():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    app = create_app({"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port}/none"})
    res = app.test_client().get("/health")
    assert res.status_code == 503
    assert res.get_json()["status"] == "unavailable"
