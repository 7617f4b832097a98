"""The server's own transport: a response's head and body leave in one send."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvloop

from tppo_screen.serving.workers import Coalesced


def test_writes_in_one_loop_turn_leave_together_and_close_sends_what_is_held() -> None:
    async def exchange() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        theirs.setblocking(False)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        coalesced = Coalesced(transport, loop)

        coalesced.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        coalesced.write(b"{}")
        with pytest.raises(BlockingIOError):
            theirs.recv(1024)  # held: nothing sent while the response is being written
        await asyncio.sleep(0)  # one turn of the loop
        assert theirs.recv(1024) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"

        coalesced.write(b"last")
        coalesced.close()  # what is held goes out before the connection closes
        assert await asyncio.wait_for(loop.sock_recv(theirs, 1024), 5) == b"last"
        assert await asyncio.wait_for(loop.sock_recv(theirs, 1024), 5) == b""  # closed
        theirs.close()

    uvloop.run(exchange())
