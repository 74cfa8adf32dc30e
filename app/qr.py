"""QR codes of follow links, drawn by segno as SVG (students scan the projector)."""

from __future__ import annotations

import io

import segno
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

router = APIRouter()
MAX_QR_TEXT = 512  # a follow link is ~60 characters; anything near this is not one


@router.get("/api/qr.svg")
def qr_svg(text: str = Query(min_length=1, max_length=MAX_QR_TEXT)) -> Response:
    """``text`` as a QR code: SVG, black on white, sized by its viewBox (CSS scales it)."""
    try:
        code = segno.make(text, error="m", micro=False)
    except segno.DataOverflowError as exc:  # pragma: no cover - max_length keeps it small
        raise HTTPException(422, str(exc)) from exc
    out = io.BytesIO()
    code.save(out, kind="svg", border=2, dark="#111111", light="#ffffff", xmldecl=False,
              omitsize=True, svgclass=None, lineclass=None, title=text)  # fmt: skip
    return Response(out.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip
