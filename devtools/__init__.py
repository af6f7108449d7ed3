"""Development tools, never imported by the running bot: a simulator that talks to a server as WeChat would, and a fake WeChat API."""
