"""HTTP helpers shared by the API routes and the dashboard pages: reading uploads, answering with files."""
