"""What ``jupyter server list --json`` says, read as servers: only well-formed ones, and a
token that could carry anything into a URL is not taken."""

from __future__ import annotations

import json

from console.jobs.jupyter import JupyterServer, parse_server_list


def line(**fields) -> str:
    return json.dumps(fields)


def test_each_server_line_is_read_and_the_rest_is_left_out():
    text = "\n".join([
        "[W 2026-12-04 ServerApp] a warning line",
        line(port=8888, token="0123abcd", base_url="/", root_dir="/home/u", pid=41),
        "[1, 2]",
        line(port=8889, token="ffee", base_url="/user/x/", pid=42),
        line(port=0, token="aa"),  # not a port
        line(port=True, token="aa"),  # a bool is not a port
        line(port=8890, token="a&b=c"),  # would reach into the URL's query
        line(port=8891, token="\x1b[2J"),
        line(port=8892, token=5),
        line(port=8893, token="beef", base_url="/x?y=z", pid="7"),
    ])  # fmt: skip

    servers = parse_server_list(text)

    assert servers == [
        JupyterServer(8888, "0123abcd", "/", "/home/u", 41),
        JupyterServer(8889, "ffee", "/user/x/", "", 42),
        JupyterServer(8893, "beef", "/", "", None),  # an odd base URL is not trusted
    ]


def test_the_url_is_on_loopback_with_the_token():
    server = JupyterServer(8888, "0123abcd", "/user/x")

    assert server.local_url() == "http://127.0.0.1:8888/user/x/?token=0123abcd"
    assert server.local_url(40123) == "http://127.0.0.1:40123/user/x/?token=0123abcd"
