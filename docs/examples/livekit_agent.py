"""LiveKit Agents: a voice agent with our face (docs/agents.md).

pip install "talking-head[livekit]"
python docs/examples/livekit_agent.py dev     # LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET set as usual
"""

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, cli

from talking_head.agents.livekit import TalkingHeadAvatar
from talking_head.options import TalkOptions

server = AgentServer()


@server.rtc_session()
async def entrypoint(ctx: JobContext):
    await ctx.connect()
    session = AgentSession(stt="deepgram/nova-3", llm="openai/gpt-4.1-mini", tts="cartesia/sonic-2")  # any you use

    avatar = TalkingHeadAvatar(image=None, options=TalkOptions(size=512))  # image: your photo; None: the bundled face
    await avatar.start(session, room=ctx.room)
    await session.start(agent=Agent(instructions="You are a friendly assistant."), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(server)
