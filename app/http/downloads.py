"""Answering with a file to save."""

from __future__ import annotations

from fastapi.responses import Response

from app.downloads import Download


def download_response(download: Download) -> Response:
    """The file as an attachment saved under its name."""
    headers = {"Content-Disposition": f'attachment; filename="{download.filename}"'}
    return Response(download.content, media_type=download.media_type, headers=headers)
