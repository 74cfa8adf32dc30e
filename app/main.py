"""The FastAPI application: pages, the JSON API and the training WebSockets.

``create_app(settings)`` builds everything; importing this module does nothing.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, WebSocket
from fastapi.middleware.gzip import GZipMiddleware
from starlette.requests import Request

from app import join, pages, qr, static_files
from app.bus import make_bus
from app.hosts import AllowedHosts, origin_allowed
from app.labspec import LabSpec
from app.limits import JoinRate, SessionsPerClient
from app.logs import hide_room_keys
from app.protocol import ProtocolError
from app.rooms import Rooms
from app.scheduler import Scheduler
from app.session import Session
from app.settings import Settings, check_limits
from engine.labs import registry

NO_SUCH_LAB = 4404


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the worker threads live as long as the app runs."""
    settings = settings or Settings.from_env()
    hide_room_keys()
    check_limits(settings.limits, registry())  # an unknown lab or param stops the start
    specs = {lab_id: LabSpec(cls, settings) for lab_id, cls in registry().items()}
    scheduler = Scheduler(
        settings.worker_threads, settings.heavy_threads, settings.heavy_job_ms / 1000
    )
    live = {"sessions": 0}
    per_client = SessionsPerClient(settings.max_sessions_per_client)
    joins = JoinRate(settings.joins_per_minute)  # the classroom asks it before each follow
    bus = make_bus(settings.redis_url)  # rooms: this process's memory, or Redis for many
    rooms = Rooms(bus, settings.max_followers, joins)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        scheduler.close()
        await bus.close()

    # no /docs, /redoc or /openapi.json: nothing a learner needs, a map for a prober
    app = FastAPI(
        title="Descent Playground",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.joins = joins
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # pages and JSON, per request
    # static files come precompressed: served outside GZip, inside the host and header checks
    app.add_middleware(static_files.serve)
    app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)  # against DNS rebinding
    app.add_middleware(
        pages.SecurityHeaders, policy=pages.content_security_policy(settings.frame_ancestors)
    )
    app.include_router(qr.router)
    app.include_router(join.make_router(rooms))  # /join/CODE, /api/reach

    def spec_or_404(lab: str) -> LabSpec:
        if lab not in specs:
            raise HTTPException(404, f"no lab named {lab!r}; labs: {', '.join(specs)}")
        return specs[lab]

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "sessions": live["sessions"]}

    @app.get("/api/labs")
    def api_labs() -> list[dict[str, Any]]:
        return [
            {
                "name": s.id,
                "title": s.lab.title,
                "params": {**s.defaults().__dict__, **s.session_defaults()},
            }
            for s in specs.values()
        ]

    @app.get("/api/labs/{lab}/schema")
    def api_schema(lab: str) -> dict[str, Any]:
        return spec_or_404(lab).schema()

    def index_page(request: Request, missing_lab: str = "") -> Any:
        lang = pages.language(request)
        labs = [
            {
                "id": lab_id,
                "title": pages.catalog(lang, lab_id).get("lab.title", s.lab.title),
                "summary": pages.catalog(lang, lab_id).get("lab.summary", ""),
            }
            for lab_id, s in specs.items()
            if pages.has_page(lab_id)
        ]
        return pages.render(request, "index.html", ["site"], labs=labs, missing_lab=missing_lab)

    @app.get("/")
    def index(request: Request) -> Any:
        return index_page(request)

    @app.get("/labs/{lab}")
    def lab_page(request: Request, lab: str) -> Any:
        spec = specs.get(lab)
        if spec is None or not pages.has_page(lab):
            # a mistyped address gets a page in the learner's language, with every lab
            page = index_page(request, missing_lab=lab[:32])
            page.status_code = 404
            return page
        return pages.render(
            request,
            f"labs/{lab}.html",
            ["site", lab],
            lab=lab,
            schema=spec.schema(),
            presets=spec.presets,
        )

    @app.websocket("/ws/{lab}")
    async def ws_lab(websocket: WebSocket, lab: str) -> None:
        await websocket.accept()
        if not origin_allowed(websocket, settings.ws_origins):
            why = "pages from that site may not open sessions here (see DESCENT_WS_ORIGINS)"
            await websocket.send_json(ProtocolError("forbidden_origin", why).to_message())
            await websocket.close(1008, "forbidden origin")
            return
        if lab not in specs:
            await websocket.close(NO_SUCH_LAB, f"no lab named {lab!r}")
            return
        if live["sessions"] >= settings.max_sessions:
            await websocket.close(1013, "server busy: too many sessions, try again soon")
            return
        address = websocket.client.host if websocket.client else ""
        if not per_client.start(address):
            await websocket.close(1013, "too many sessions from your address, try again soon")
            return
        live["sessions"] += 1
        try:
            session = Session(websocket, specs[lab], settings, scheduler, rooms)
            await session.run(dict(websocket.query_params))
        finally:
            live["sessions"] -= 1
            per_client.finish(address)

    return app
