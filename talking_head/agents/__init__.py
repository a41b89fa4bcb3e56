"""Our face at the end of a voice agent's chain, in the agent frameworks' own terms.

One module per framework, each imported only when used (their packages are optional extras):
`talking_head.agents.livekit` (``pip install "talking-head[livekit]"``) and
`talking_head.agents.pipecat` (``pip install "talking-head[pipecat]"``). Both are thin: the
face itself is `talking_head.live.agent.AgentFace`.
"""
