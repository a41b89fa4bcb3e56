"""The `footage` engine: the person's own frames, with mouths from their own footage (`avatar/`)."""
