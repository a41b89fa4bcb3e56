"""The face's frames on their way out to a framework, cut short by an interruption.

`AgentFace` draws a frame or two ahead of the consumer, and a framework's
own queues may hold the consumer up, so frames made just before an
`interrupt` would still go out with speech and an open mouth. `Outgoing`
drops them: after `interrupt`, the next frame out is the face's first
silent one (the one that carries the ``interrupted`` event).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..live.agent import AgentFace, AgentFrame


class Outgoing:
    def __init__(self, face: AgentFace):
        self.face = face
        self._clearing = False

    def interrupt(self) -> None:
        self._clearing = True
        self.face.interrupt()

    async def __aiter__(self) -> AsyncIterator[AgentFrame]:
        async for frame in self.face:
            if self._clearing:
                if not any(event["type"] == "interrupted" for event in frame.events):
                    continue
                self._clearing = False
            yield frame
