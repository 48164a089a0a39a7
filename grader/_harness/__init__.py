"""Code that runs inside the sandbox (copied in as files; imports only NumPy)."""
