"""Developer tools: the `clinic` command line, the chat client for the terminal, the demo clinic page."""
