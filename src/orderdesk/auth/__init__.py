"""Who is calling: token minting for local use, token verification with a cache, principals."""
